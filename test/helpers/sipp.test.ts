import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { runSipp } from './sipp.js';

describe('the SIPp test helper', () => {
  it('runs a real SIPp uac against a real SIPp uas and reads its statistics', async () => {
    const port = await freePort();
    const uas = runSipp({ args: ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '5'] });
    await uas.listening();
    const uacPort = await freePort();
    const uac = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', String(uacPort), '-m', '5', '-r', '50'] });
    const uasResult = await uas;
    expect(uac.code).toBe(0);
    expect(uasResult.code).toBe(0);
    expect(uac.stats['SuccessfulCall(C)']).toBe('5');
  });
});
