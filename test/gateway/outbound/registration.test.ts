import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshDelayMs } from '../../../src/gateway/outbound/registration.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, type SippRun } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { SCENARIOS } from '../transfer/helpers.js';

let gw: TestGateway | undefined;
let registrar: SippRun | undefined;
afterEach(async () => {
  registrar?.kill();
  registrar = undefined;
  await gw?.stop();
  gw = undefined;
});

describe('a trunk that registers with its carrier (outbound.register)', () => {
  it('RFC 3261 §10: tries again after a 503, answers the 401 with credentials SIPp verifies, and refreshes the 2 s binding before it expires', async () => {
    const port = await freePort();
    registrar = runSipp({ args: ['-sf', join(SCENARIOS, 'uas-registrar-503-401-short-expiry.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1'], cwd: SCENARIOS, timeoutMs: 30_000 });
    await registrar.listening();
    gw = await startTestGateway({
      trunk: { outbound: { proxy: `127.0.0.1:${port}`, username: 'trunkuser', password: 'trunkpass', register: { expires: 60, retry_s: 0.2 } } },
    });
    const sipp = await registrar;
    expect(sipp.code, sipp.errors).toBe(0);
    expect(sipp.stats['SuccessfulCall(C)']).toBe('1');
    const events = gw.logs().filter((l) => typeof l.event === 'string' && String(l.event).startsWith('trunk_register')).map((l) => [l.event, l.status ?? l.expires]);
    expect(events.slice(0, 3)).toEqual([['trunk_register_failed', 503], ['trunk_registered', 2], ['trunk_registered', 2]]);
    expect(gw.proc.gateway.app.registrations.get('test')!.status.registrations).toBeGreaterThanOrEqual(2);
  }, 40_000);

  it('refreshes half-way through a short binding and a minute before a long one ends', () => {
    expect(refreshDelayMs(2)).toBe(1000);
    expect(refreshDelayMs(60)).toBe(30_000);
    expect(refreshDelayMs(3600)).toBe(3_540_000);
  });
});
