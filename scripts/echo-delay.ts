/**
 * The echo delay of many calls, one after another, each measured to the sample (issue 19):
 *   npx tsx scripts/echo-delay.ts --target 127.0.0.1:5060 [--calls 20] [--seconds 4] [--window-ms 400] [--max-delay-ms 400] [--in-phase]
 *   npx tsx scripts/echo-delay.ts --gateway [--workers n] [--echo-delay-ms 0] [--calls 20]
 * --gateway starts a gateway of its own (src/loadtest/peers.ts, echo agent) and runs every call
 * through that one process. --in-phase sends each frame 0.3 ms before the peer's tick and every
 * fourth 0.7 ms after it (EchoDelayOptions.inPhase): the caller of issue 19 whose echo slipped. Prints JSON: { target, calls: EchoDelayCall[] } (src/loadtest/echo-delay.ts).
 * On a shared machine give it --realtime <priority> (root): once started, before its first call,
 * the probe makes all its threads SCHED_RR at that priority (chrt; the SIPp it starts per call
 * runs at normal priority), at the gateway's media workers' priority (10 by default) so that only
 * what holds them up can hold it up; where that is refused it runs at nice −10 and says so on stderr.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
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
    /** min-max[,min-max…]: ports the probe must not take (the target's media range). */
    avoid: { type: 'string' },
    realtime: { type: 'string' },
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
  const avoid = [...(gateway?.watchPorts ?? []), ...(values.avoid ?? '').split(',').filter(Boolean).map((r) => {
    const [min, max] = r.split('-').map(Number);
    return { min: min!, max: max ?? min! };
  })];
  if (values.realtime !== undefined) {
    try {
      execFileSync('chrt', ['--reset-on-fork', '--all-tasks', '--rr', '--pid', values.realtime, String(process.pid)], { stdio: 'pipe' });
    } catch (err) {
      process.stderr.write(`echo-delay: real-time priority refused (${(err as Error).message.split('\n')[0]}); at nice -10 instead\n`);
      try { setPriority(-10); } catch { /* not root: as it is */ }
    }
  }
  const calls: EchoDelayCall[] = [];
  for (let i = 0; i < Number(values.calls); i++) calls.push(await measureEchoDelay({ target, workDir, avoid, seconds: Number(values.seconds), windowMs: Number(values['window-ms']), maxDelayMs: Number(values['max-delay-ms']), ...(values['in-phase'] ? { inPhase: { offsetMs: -0.3, wobbleMs: 1 } } : {}) }));
  process.stdout.write(`${JSON.stringify({ target, calls })}\n`);
} finally {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
}
