/**
 * V8 flags the gateway process starts with. They must be given when node starts (V8 sizes its heap
 * spaces when the isolate is created; v8.setFlagsFromString afterwards does not change them), so they
 * appear in package.json's `start`, the `trunkgate` bin's shebang, docker-compose.yml and here, for the
 * gateway children the load test starts.
 *
 * --max-semi-space-size=4: under media load V8 grows the young generation's semi-spaces to 16 MiB
 * (32 MiB of new space, all of it touched). With 4 MiB the load test's 200 concurrent echo calls
 * took 179–186 instead of 345–416 KiB of RSS per call, with the same CPU and the same share of late
 * frames (0.2–0.7 % either way, alternating A/B runs; docs/benchmarks.md, "Memory per concurrent call").
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
