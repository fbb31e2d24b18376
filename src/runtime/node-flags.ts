/**
 * V8 flags the gateway process starts with. They must be given when node starts (V8 sizes its heap
 * spaces when the isolate is created; v8.setFlagsFromString afterwards does not change them), so they
 * appear in package.json's `start`, the `trunkgate` bin's shebang, docker-compose.yml and here, for the
 * gateway children the load test starts.
 *
 * --max-semi-space-size=4: under media load V8 grows the young generation's semi-spaces to 16 MiB,
 * and scavenging them stalls every thread for over 10 ms now and then, so RTP frames leave late. With
 * 4 MiB the load test's 200 concurrent echo calls went from 0.33–0.49 % late frames to 0, and RSS per
 * call fell by about half (docs/benchmarks.md, "Load tests" and "Memory per concurrent call").
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
