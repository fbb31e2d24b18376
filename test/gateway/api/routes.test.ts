import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../../src/agents/builtin/wav.js';
import { freePort } from '../../helpers/ports.js';
import { api, apiConfig } from '../helpers/api.js';
import { startCallbackServer, type CallbackServer } from '../helpers/callback-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { SCENARIOS, startSippHuman, type SippPeer } from '../transfer/helpers.js';
import { runSipp, type SippRun } from '../../helpers/sipp.js';
import { sippMediaPort } from '../../helpers/ports.js';
import { releaseAgents, waitingAgents } from '../fixtures/gated-agent.js';

const TONE_AGENT = join(import.meta.dirname, '../fixtures/tone-agent.ts');
const GATED_AGENT = join(import.meta.dirname, '../fixtures/gated-agent.ts');

let gw: TestGateway;
let carrierPort: number;
let dtmfOut = 0;
const peers: { kill(): void }[] = [];
let callbacks: CallbackServer;

beforeAll(async () => {
  carrierPort = await freePort();
  callbacks = await startCallbackServer();
  gw = await startTestGateway({
    trunk: { codecs: ['PCMU'], outbound: { proxy: `127.0.0.1:${carrierPort}`, from_number: '+14155550100' } },
    trunks: [{ name: 'inbound-only', sources: ['192.0.2.0/24'], routes: [{ pattern: '*', agent: 'echo' }] }],
    agents: { tone: { type: 'module', module: TONE_AGENT, settings: { stay: true } }, gated: { type: 'module', module: GATED_AGENT } },
    extra: apiConfig,
    // RFC 4733 events the gateway sends (payload type 101 in our offer).
    mediaTap: () => (direction, packet) => { if (direction === 'out' && (packet[1]! & 0x7f) === 101) dtmfOut++; },
  });
}, 30_000);
afterEach(() => {
  for (const p of peers.splice(0)) p.kill();
  callbacks.bodies.length = 0;
});
afterAll(async () => {
  await gw.stop();
  await callbacks.close();
});

/** SIPp as the carrier, on the port the trunk's outbound.proxy names. */
async function carrier(scenario: string, extra: string[] = []): Promise<{ done: SippRun }> {
  const run = runSipp({ args: ['-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(carrierPort), '-mp', String(await sippMediaPort()), '-m', '1', ...extra], cwd: SCENARIOS, timeoutMs: 60_000 });
  peers.push(run);
  await run.listening();
  // Wrapped: an async function returning the SippRun (a promise) would wait for SIPp to exit.
  return { done: run };
}

const call = { to: '+919876543210', trunk: 'test', agent: 'tone' };
const path = (id: string, action = ''): string => `/v1/calls/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

describe('REST API: authentication', () => {
  it('answers 401 with WWW-Authenticate: Bearer to a request without a token or with a wrong one', async () => {
    for (const token of [null, 'wrong-token-wrong-token']) {
      for (const [method, p, body] of [['GET', '/v1/calls', undefined], ['POST', '/v1/calls', call], ['GET', path('x')], ['POST', path('x', 'hangup'), {}]] as const) {
        const r = await api(gw, method, p, body, token);
        expect(r.status, `${method} ${p} with ${String(token)}`).toBe(401);
        expect(r.body.error).toMatchObject({ code: 'unauthorized' });
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
    }
  });

  it('serves the OpenAPI document without a token', async () => {
    const r = await api(gw, 'GET', '/v1/openapi.json', undefined, null);
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
  });
});

describe('REST API: POST /v1/calls refuses what it cannot place', () => {
  const cases: [string, unknown, number, Record<string, unknown>][] = [
    ['no number', { trunk: 'test', agent: 'tone' }, 400, { code: 'invalid_request', field: 'to' }],
    ['a number that is not one', { ...call, to: 'sip:alice@example.com' }, 400, { code: 'invalid_request', field: 'to' }],
    ['a status callback that is not an http URL', { ...call, status_callback: 'ftp://x' }, 400, { code: 'invalid_request', field: 'status_callback' }],
    ['a field it does not know', { ...call, colour: 'blue' }, 400, { code: 'invalid_request' }],
    ['a ring timeout of zero', { ...call, ring_timeout_s: 0 }, 400, { code: 'invalid_request', field: 'ring_timeout_s' }],
    ['an unknown trunk', { ...call, trunk: 'nope' }, 400, { code: 'invalid_trunk', field: 'trunk' }],
    ['a trunk without outbound settings', { ...call, trunk: 'inbound-only' }, 400, { code: 'invalid_trunk', field: 'trunk' }],
    ['a body that is not JSON', '{"to":', 400, { code: 'invalid_json' }],
    ['an agent the gateway does not have', { ...call, agent: 'nobody' }, 400, { code: 'invalid_agent', field: 'agent' }],
    ['agent settings that are not a JSON object', { ...call, agent_settings: [1] }, 400, { code: 'invalid_request', field: 'agent_settings' }],
  ];
  for (const [what, body, status, error] of cases) {
    it(`answers ${status} to ${what}`, async () => {
      const r = await api(gw, 'POST', '/v1/calls', body);
      expect(r.status).toBe(status);
      expect(r.body.error).toMatchObject(error);
    });
  }

  it('answers 415 to a body that is not application/json, and 405 / 404 to methods and paths it does not have', async () => {
    const a = gw.proc.gateway.api!.address;
    const res = await fetch(`http://127.0.0.1:${a.port}/v1/calls`, { method: 'POST', headers: { authorization: 'Bearer test-token-0123456789abcdef', 'content-type': 'text/plain' }, body: 'to=1' });
    expect(res.status).toBe(415);
    expect((await api(gw, 'DELETE', '/v1/calls')).status).toBe(405);
    expect((await api(gw, 'GET', path('x', 'hangup'))).status).toBe(405);
    expect((await api(gw, 'GET', '/v2/things')).status).toBe(404);
  });
});

describe('REST API: unknown calls', () => {
  it('answers 404 naming the id for GET and every action', async () => {
    expect((await api(gw, 'GET', path('no-such-call'))).body.error).toMatchObject({ code: 'not_found' });
    expect((await api(gw, 'GET', path('no-such-call'))).status).toBe(404);
    for (const [action, body] of [['hangup', {}], ['transfer', { target: '+441234567890' }], ['dtmf', { digits: '1' }], ['play', { text: 'hi' }]] as const) {
      const r = await api(gw, 'POST', path('no-such-call', action), body);
      expect(r.status, action).toBe(404);
      expect(String((r.body.error as { message: string }).message)).toContain('no-such-call');
    }
  });
});

describe('REST API: a live outbound call', () => {
  it('lists it, shows it, sends DTMF, plays audio, transfers it to a human and hangs it up; each action refuses a bad body with 400 naming the field', async () => {
    const far = await carrier('uas-human-agent-echo.xml', ['-rtp_echo']);
    const placed = await api(gw, 'POST', '/v1/calls', { ...call, status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const id = placed.body.id as string;
    await callbacks.until('answered');

    const list = await api(gw, 'GET', '/v1/calls');
    expect(list.status).toBe(200);
    expect(list.body.calls).toEqual([expect.objectContaining({ id, direction: 'outbound', state: 'answered', trunk: 'test', agent: 'tone', codec: 'PCMU', from: '+14155550100', to: '+919876543210' })]);
    const one = await api(gw, 'GET', path(id));
    expect(one.body).toMatchObject({ id, state: 'answered', transfers: 0, media: { packets_in: expect.any(Number), packets_out: expect.any(Number), jitter_ms: expect.any(Number) } });
    expect(typeof one.body.answered_at).toBe('string');

    expect((await api(gw, 'POST', path(id, 'dtmf'), { digits: '12x' })).body.error).toMatchObject({ field: 'digits' });
    const before = dtmfOut;
    expect((await api(gw, 'POST', path(id, 'dtmf'), { digits: '12#' })).status).toBe(200);
    expect(dtmfOut).toBeGreaterThan(before);

    expect((await api(gw, 'POST', path(id, 'play'), {})).body.error).toMatchObject({ field: 'text' });
    expect((await api(gw, 'POST', path(id, 'play'), { audio_base64: Buffer.from('not a wav file at all').toString('base64') })).body.error).toMatchObject({ field: 'audio_base64' });
    const wav = writeWav({ samples: new Int16Array(8000).map((_, i) => Math.round(6000 * Math.sin(i / 3))), sampleRate: 8000 });
    const played = await api(gw, 'POST', path(id, 'play'), { audio_base64: wav.toString('base64'), interrupt: true });
    expect(played.status).toBe(200);
    expect(played.body.queued_ms as number).toBeGreaterThan(500);

    const human: SippPeer = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo'], 'human');
    peers.push(human);
    expect((await api(gw, 'POST', path(id, 'transfer'), { target: 'not a target' })).body.error).toMatchObject({ field: 'target' });
    expect((await api(gw, 'POST', path(id, 'transfer'), { target: human.uri, mode: 'sideways' })).body.error).toMatchObject({ field: 'mode' });
    const transferred = await api(gw, 'POST', path(id, 'transfer'), { target: human.uri });
    expect(transferred.status).toBe(200);
    expect(transferred.body).toMatchObject({ result: 'transferred', method: 'bridge' });
    expect((await api(gw, 'GET', path(id))).body).toMatchObject({ state: 'bridged', transfers: 1 });
    // Bridged: the agent is gone, a second transfer is not possible.
    expect((await api(gw, 'POST', path(id, 'transfer'), { target: human.uri })).status).toBe(409);

    expect((await api(gw, 'POST', path(id, 'hangup'), { reason: 123 })).body.error).toMatchObject({ field: 'reason' });
    expect((await api(gw, 'POST', path(id, 'hangup'))).status).toBe(200);
    const bodies = await callbacks.until('completed');
    expect(bodies.map((b) => b.event)).toEqual(['ringing', 'answered', 'completed']);
    expect(bodies[2]).toMatchObject({ result: 'hangup', hangup_by: 'gateway', reason: 'hung up through the API' });
    expect((await far.done).code).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect((await api(gw, 'GET', path(id))).status).toBe(404);
    expect((await api(gw, 'GET', '/v1/calls')).body.calls).toEqual([]);
  }, 60_000);

  it('lists an answered call once, as answered, while its agent is still being created', async () => {
    const far = await carrier('uas-human-agent-echo.xml', ['-rtp_echo']);
    const placed = await api(gw, 'POST', '/v1/calls', { ...call, agent: 'gated', status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const id = placed.body.id as string;
    await callbacks.until('answered');
    await gw.waitFor(() => waitingAgents() === 1);
    expect((await api(gw, 'GET', '/v1/calls')).body.calls).toEqual([expect.objectContaining({ id, state: 'answered', agent: 'gated' })]);
    releaseAgents();
    expect((await api(gw, 'POST', path(id, 'hangup'))).status).toBe(200);
    await callbacks.until('completed');
    expect((await far.done).code).toBe(0);
    await gw.waitIdle();
  }, 60_000);

  it('hangs up a call that is still ringing with CANCEL: the callback says canceled', async () => {
    const far = await carrier('peers/uas-ring-until-cancel.xml');
    const placed = await api(gw, 'POST', '/v1/calls', { ...call, status_callback: callbacks.url });
    const id = placed.body.id as string;
    await callbacks.until('ringing');
    expect((await api(gw, 'GET', path(id))).body).toMatchObject({ id, state: 'ringing', codec: null, media: null });
    // DTMF and audio need an answered call.
    expect((await api(gw, 'POST', path(id, 'dtmf'), { digits: '1' })).status).toBe(404);
    expect((await api(gw, 'POST', path(id, 'hangup'), {})).status).toBe(200);
    const bodies = await callbacks.until('completed');
    expect(bodies.map((b) => b.event)).toEqual(['ringing', 'completed']);
    expect(bodies[1]).toMatchObject({ result: 'canceled' });
    expect((await far.done).code).toBe(0);
    await gw.waitIdle();
  }, 60_000);
});
