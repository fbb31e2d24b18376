/**
 * The echo delay of many calls, one after another, each measured to the sample (issue 19):
 *   npx tsx scripts/echo-delay.ts --target 127.0.0.1:5060 [--calls 20] [--seconds 4] [--window-ms 400] [--max-delay-ms 400] [--in-phase]
 *   npx tsx scripts/echo-delay.ts --gateway [--workers n] [--echo-delay-ms 0] [--calls 20]
 * --gateway starts a gateway of its own (src/loadtest/peers.ts, echo agent) and runs every call
 * through that one process. --in-phase sends each frame 0.3 ms before the peer's tick and every
 * fourth 0.7 ms after it (EchoDelayOptions.inPhase): the caller of issue 19 whose echo slipped. Prints JSON: { target, calls: EchoDelayCall[] } (src/loadtest/echo-delay.ts).
 * Run it under `nice -n -10` on a shared machine: the probe plays a carrier that paces its RTP on a
 * machine of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureEchoDelay, type EchoDelayCall } from '../src/loadtest/echo-delay.js';
import { startGatewayChild, type RunningPeer } from '../src/loadtest/peers.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    gateway: { type: 'boolean', default: false },
    workers: { type: 'string' },
    'echo-delay-ms': { type: 'string', default: '0' },
    calls: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '4' },
    'window-ms': { type: 'string', default: '400' },
    'in-phase': { type: 'boolean', default: false },
    'max-delay-ms': { type: 'string', default: '400' },
  },
});
if (!values.target && !values.gateway) {
  process.stderr.write('echo-delay: give --target host:port or --gateway\n');
  process.exit(2);
}
const workDir = mkdtempSync(join(tmpdir(), 'echo-delay-'));
let gateway: RunningPeer | undefined;
try {
  if (values.gateway) {
    gateway = await startGatewayChild({
      workDir, mediaPorts: 40, echoDelayMs: Number(values['echo-delay-ms']),
      ...(values.workers !== undefined ? { mediaWorkers: values.workers === 'auto' ? 'auto' as const : Number(values.workers) } : {}),
    });
  }
  const target = gateway?.target ?? values.target!;
  const calls: EchoDelayCall[] = [];
  for (let i = 0; i < Number(values.calls); i++) calls.push(await measureEchoDelay({ target, workDir, seconds: Number(values.seconds), windowMs: Number(values['window-ms']), maxDelayMs: Number(values['max-delay-ms']), ...(values['in-phase'] ? { inPhase: { offsetMs: -0.3, wobbleMs: 1 } } : {}) }));
  process.stdout.write(`${JSON.stringify({ target, calls })}\n`);
} finally {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
}
