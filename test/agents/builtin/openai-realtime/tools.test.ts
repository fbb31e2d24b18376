import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/ports.js';
import { runTool, toolDefinitions, transferOutput } from '../../../../src/agents/builtin/openai-realtime/tools.js';
import type { TransferOptions, TransferOutcome } from '../../../../src/agents/types.js';
import { rootLogger } from '../../../../src/log.js';
import { callInfo } from '../../helpers.js';

/** A fake AgentIO with only what tools use: transfer answers with `outcome` (or throws `error`). */
function fakeIO(result: TransferOutcome | Error) {
  const transfers: { target: string; options: TransferOptions | undefined }[] = [];
  const digits: string[] = [];
  return {
    transfers, digits,
    io: {
      transfer: async (target: string, options?: TransferOptions) => {
        transfers.push({ target, options });
        if (result instanceof Error) throw result;
        return result;
      },
      sendDtmf: async (d: string) => { digits.push(d); },
      log: rootLogger,
    },
  };
}

const settings = { transfer_mode: 'blind' as const, tools: [] };

describe('transfer_call', () => {
  it.each<[TransferOutcome, string]>([
    [{ result: 'transferred', method: 'refer', sipStatus: 200, ms: 900 }, 'done'],
    [{ result: 'no_answer', method: 'bridge', sipStatus: 408, ms: 30_000, reason: 'ring timeout' }, 'respond'],
    [{ result: 'busy', method: 'bridge', sipStatus: 486, ms: 1200 }, 'respond'],
    [{ result: 'rejected', method: 'refer', sipStatus: 603, ms: 300, reason: 'refer refused (603)' }, 'respond'],
  ])('maps the TransferOutcome %j to the function_call_output JSON, and the agent goes on only when not transferred', async (outcome, after) => {
    const f = fakeIO(outcome);
    const r = await runTool('transfer_call', JSON.stringify({ target: 'support' }), { io: f.io, call: callInfo, settings: { ...settings, transfer_mode: 'warm' }, transferTargets: ['support'] });
    expect(f.transfers).toEqual([{ target: 'support', options: { mode: 'warm' } }]);
    expect(JSON.parse(r.output)).toEqual({
      result: outcome.result, method: outcome.method, sip_status: outcome.sipStatus, ...(outcome.reason ? { reason: outcome.reason } : {}),
    });
    expect(r.output).toBe(transferOutput(outcome));
    expect(r.after).toBe(after);
  });

  it('a transfer the gateway refuses (io.transfer rejects: bad target, one already in progress) is a failed outcome for the model, not a throw', async () => {
    const f = fakeIO(new Error('a transfer to support is already in progress'));
    const r = await runTool('transfer_call', '{"target":"support"}', { io: f.io, call: callInfo, settings, transferTargets: ['support'] });
    expect(JSON.parse(r.output)).toMatchObject({ result: 'failed', reason: expect.stringContaining('already in progress') });
    expect(r.after).toBe('respond');
  });

  it('a target outside transfer_targets is refused without calling io.transfer', async () => {
    const f = fakeIO({ result: 'transferred', method: 'refer', ms: 1 });
    const r = await runTool('transfer_call', '{"target":"sip:evil@example.com"}', { io: f.io, call: callInfo, settings, transferTargets: ['support'] });
    expect(f.transfers).toEqual([]);
    expect(JSON.parse(r.output)).toHaveProperty('error');
  });

  it('is offered only with targets, with them as an enum', () => {
    expect(toolDefinitions(['end_call', 'transfer_call'], [], []).map((t) => t.name)).toEqual(['end_call']);
    const [, transfer] = toolDefinitions(['end_call', 'transfer_call'], ['support', 'sales'], []);
    expect(transfer).toMatchObject({ type: 'function', name: 'transfer_call', parameters: { properties: { target: { enum: ['support', 'sales'] } } } });
  });
});

describe('other tools', () => {
  let server: Server | undefined;
  afterEach(async () => { if (server) await new Promise((r) => server!.close(r)); server = undefined; });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    server.listen(await freePort(), '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/tool`;
  }

  it('arguments that are not a JSON object give an error output', async () => {
    const r = await runTool('end_call', '[1,2', { io: fakeIO(new Error('x')).io, call: callInfo, settings, transferTargets: [] });
    expect(JSON.parse(r.output)).toHaveProperty('error');
    expect(r.after).toBe('respond');
  });

  it('send_dtmf sends valid digits and refuses others', async () => {
    const f = fakeIO(new Error('x'));
    const ok = await runTool('send_dtmf', '{"digits":"12#"}', { io: f.io, call: callInfo, settings, transferTargets: [] });
    expect(f.digits).toEqual(['12#']);
    expect(JSON.parse(ok.output)).toEqual({ sent: '12#' });
    const bad = await runTool('send_dtmf', '{"digits":"12x"}', { io: f.io, call: callInfo, settings, transferTargets: [] });
    expect(JSON.parse(bad.output)).toHaveProperty('error');
    expect(f.digits).toEqual(['12#']);
  });

  it('a user tool url that does not answer in time gives an error output, never a stuck turn', async () => {
    const url = await serve(() => { /* never answers */ });
    const tool = { name: 'slow', description: '', parameters: {}, url, timeout_ms: 200 };
    const r = await runTool('slow', '{}', { io: fakeIO(new Error('x')).io, call: callInfo, settings: { ...settings, tools: [tool] }, transferTargets: [] });
    expect(JSON.parse(r.output).error).toContain('no answer within 200 ms');
    expect(r.after).toBe('respond');
  });

  it('a user tool url answering 500 or non-JSON gives an error output', async () => {
    let status = 500;
    const url = await serve((_req, res) => { res.writeHead(status); res.end('oops'); });
    const tool = { name: 'bad', description: '', parameters: {}, url, timeout_ms: 2000 };
    const ctx = { io: fakeIO(new Error('x')).io, call: callInfo, settings: { ...settings, tools: [tool] }, transferTargets: [] };
    expect(JSON.parse((await runTool('bad', '{}', ctx)).output).error).toContain('500');
    status = 200;
    expect(JSON.parse((await runTool('bad', '{}', ctx)).output).error).toContain('JSON');
  });
});
