/**
 * Tools through the whole gateway with a SIPp caller: the caller's DTMF reaches the model as a user
 * message, a user tool's url is POSTed the arguments with the call's metadata and its JSON reply
 * goes back as the function call's output, and `end_call` hangs up once the goodbye has been played.
 */
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../../src/media/codecs/g711.js';
import { byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { REPO, repoTmp, startChildGateway } from './helpers/gateway-child.js';
import { tone } from './helpers/phones.js';
import { startStandIn, type StandIn } from './helpers/standin.js';

let dir: string;
let standIn: StandIn;
let http: Server;
const posts: { body: Record<string, unknown>; contentType: string | undefined }[] = [];

beforeAll(async () => {
  dir = repoTmp('realtime-tools-');
  standIn = await startStandIn(join(dir, 'tls'));
  http = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      posts.push({ body: JSON.parse(body) as Record<string, unknown>, contentType: req.headers['content-type'] });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'shipped', eta: 'tomorrow' }));
    });
  });
  http.listen(await freePort(), '127.0.0.1');
  await once(http, 'listening');
});
afterAll(async () => {
  await standIn.close();
  await new Promise((r) => http.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** INVITE, answer, the caller presses 1 (RFC 4733 from a capture), then waits for the gateway's BYE. */
const callerPresses1 = scenario('caller presses 1, gateway hangs up', [
  invite(),
  expectAnswer,
  pause(300),
  '  <nop><action><exec play_pcap_audio="media/dtmf_2833_1.pcap"/></action></nop>\n',
  byeFromGateway,
].join(''));

describe('openai-realtime tools', () => {
  it('DTMF reaches the model as a user message, a user tool url is called with the arguments and the call, and end_call hangs up after the goodbye', async () => {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/orders`;
    const gw = await startChildGateway({
      agent: {
        type: 'openai-realtime',
        settings: {
          tools: [{ name: 'lookup_order', description: 'Order status', parameters: { type: 'object', properties: { order: { type: 'string' } } }, url }],
        },
      },
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile },
      codecs: ['PCMU'],
      dir,
    });
    try {
      const flow = (async () => {
        const s = await standIn.session(standIn.sessions.length + 1);
        const dtmf = await s.next('conversation.item.create', (e) => e.item.type === 'message');
        await s.next('response.create');
        const { callId } = s.callFunction('lookup_order', { order: 'A17' });
        const output = await s.next('conversation.item.create', (e) => e.item.type === 'function_call_output');
        // The agent asks for the next response after the output.
        await s.next('response.create', (e) => s.events.indexOf(e) > s.events.indexOf(output));
        const goodbyeAt = performance.now();
        s.respondWithAudio(Buffer.from(encodeUlaw(tone(1000, 8000, 440))), { functionCall: { name: 'end_call', arguments: '{"reason":"done"}' } });
        const endOutput = await s.next('conversation.item.create', (e) => e.item.type === 'function_call_output' && e !== output);
        await s.closed;
        return { s, dtmf, callId, output, endOutput, goodbyeToCloseMs: performance.now() - goodbyeAt };
      })();
      const r = await runSipp({
        args: ['-sf', scenarioFile('rt-tools', callerPresses1), `127.0.0.1:${gw.sipPort}`, '-s', '919876543210', '-i', '127.0.0.1',
          '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'],
        cwd: join(REPO, 'sipp-scenarios'),
        timeoutMs: 30_000,
      });
      const f = await flow;
      expect(r.code, r.errors).toBe(0);
      const end = await gw.line((l) => l.event === 'call_end');
      expect(end).toMatchObject({ hangupBy: 'agent' });

      expect(f.dtmf.item).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: expect.stringContaining('pressed the key 1') }] });
      expect(posts).toHaveLength(1);
      expect(posts[0]!.contentType).toBe('application/json');
      expect(posts[0]!.body).toMatchObject({ tool: 'lookup_order', arguments: { order: 'A17' }, call: { to: expect.stringMatching(/^\+?919876543210$/), from: expect.stringMatching(/^\+?919000000001$/), trunk: 'test' } });
      expect(f.output.item).toEqual({ type: 'function_call_output', call_id: f.callId, output: JSON.stringify({ status: 'shipped', eta: 'tomorrow' }) });
      expect(f.endOutput.item).toMatchObject({ type: 'function_call_output', output: '{"ok":true}' });
      // The goodbye is 1 s long: the session closes (the call ended) only after it was played.
      expect(f.goodbyeToCloseMs).toBeGreaterThanOrEqual(950);
      // What the agent offers for call_end (Agent.summary), also logged when it stops: usage of both responses.
      expect(await gw.line((l) => l.event === 'realtime_summary')).toMatchObject({ realtime: { model: 'gpt-realtime', audio: 'audio/pcmu', usage: { responses: 2, totalTokens: 260 } } });
      expect(f.s.session?.tools?.map((t) => ('name' in t ? t.name : undefined))).toEqual(['end_call', 'send_dtmf', 'lookup_order']);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
