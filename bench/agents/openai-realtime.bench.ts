/**
 * The openai-realtime agent through the whole gateway (its own process, as `trunkgate start`) against
 * the stand-in Realtime server of test/ (answering at once). SIPp places the calls; each call's
 * media ends in a UDP socket of this process that plays the caller (it sends PCMU at 20 ms — silence,
 * or a loud tone when "speaking" — and timestamps every answer packet).
 *
 * 1. Latency trunkgate adds to a turn: first `response.output_audio.delta` sent by the server →
 *    first RTP packet of the answer at the caller; and `speech_started` sent by the server → the
 *    last packet of the interrupted answer at the caller. p50 / p99 over LAT_CALLS × LAT_TURNS turns.
 * 2. Concurrent calls (TG_RT_STEPS) with audio both ways all the time (the caller sends 20 ms frames,
 *    the server streams 2 s answers back to back), G.711 passthrough vs PCM 24 kHz (`audio: pcm`
 *    on the same PCMU calls: decode + resample both ways): late frames from the gateway's call_end
 *    lines, gateway CPU per call from /proc.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from '../run.js';
import { encodeUlaw } from '../../src/media/codecs/g711.js';
import { REPO, startChildGateway, type ChildGateway } from '../../test/agents/builtin/openai-realtime/helpers/gateway-child.js';
import { pcmBytes, tone } from '../../test/agents/builtin/openai-realtime/helpers/phones.js';
import { startStandIn, type StandIn, type StandInSession } from '../../test/agents/builtin/openai-realtime/helpers/standin.js';
import { runSipp } from '../../test/helpers/sipp.js';
import { freePort, sippMediaPort } from '../../test/helpers/ports.js';

const LAT_CALLS = Number(process.env.TG_RT_LAT_CALLS ?? 4);
const LAT_TURNS = Number(process.env.TG_RT_LAT_TURNS ?? 12);
const STEPS = (process.env.TG_RT_STEPS ?? '25,50,100').split(',').filter(Boolean).map(Number);
/** TG_RT_MODES: which capacity modes (default auto,pcm,echo). */
const MODES = (process.env.TG_RT_MODES ?? 'auto,pcm,echo').split(',') as Mode[];
/** TG_RT_PARTS=latency,capacity (default both). */
const PARTS = (process.env.TG_RT_PARTS ?? 'latency,capacity').split(',');
const SECONDS = Number(process.env.TG_RT_SECONDS ?? 10);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SILENCE = 0xff;
const LOUD = Buffer.from(encodeUlaw(tone(20, 8000, 1000, 12000)));

/** A caller's media: sends one PCMU frame per tick, records when answer (non-silent) packets arrive. */
class CallerMedia {
  readonly socket: Socket;
  port = 0;
  speaking = false;
  /** performance.now() of each received packet that carries sound. */
  readonly sound: number[] = [];
  /** performance.now() of each silent packet (latency runs only). */
  readonly quiet: number[] = [];
  recordQuiet = false;
  received = 0;
  #seq = Math.floor(Math.random() * 65535);
  #ts = Math.floor(Math.random() * 2 ** 31);
  readonly #ssrc = Math.floor(Math.random() * 2 ** 31);
  remote: { port: number; address: string } | undefined;

  constructor() {
    this.socket = createSocket('udp4');
    this.socket.on('message', (m, rinfo) => {
      if (m.length < 12 + 160 || (m[1]! & 0x7f) !== 0) return;
      this.remote ??= { port: rinfo.port, address: rinfo.address };
      this.received++;
      let loud = 0;
      for (let i = 12; i < m.length; i++) if (m[i] !== SILENCE && m[i] !== 0x7f && m[i] !== 0xfe && m[i] !== 0x7e) loud++;
      if (loud > 40) this.sound.push(performance.now());
      else if (this.recordQuiet) this.quiet.push(performance.now());
    });
  }

  async bind(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.port = this.socket.address().port;
  }

  tick(): void {
    if (!this.remote) return;
    const pkt = Buffer.alloc(12 + 160, SILENCE);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(this.#seq, 2);
    pkt.writeUInt32BE(this.#ts >>> 0, 4);
    pkt.writeUInt32BE(this.#ssrc, 8);
    if (this.speaking) LOUD.copy(pkt, 12);
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + 160) >>> 0;
    this.socket.send(pkt, this.remote.port, this.remote.address);
  }
}

function scenarioXml(durationMs: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="realtime bench caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field1]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bench 1 1 IN IP4 127.0.0.1
      s=-
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio [field0] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20
      a=sendrecv
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field1]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <pause milliseconds="${durationMs}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field1]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}

interface Run {
  gw: ChildGateway;
  callers: CallerMedia[];
  sessions: Map<number, StandInSession>;
  sipp: ReturnType<typeof runSipp>;
  stop(): Promise<void>;
}

/** N calls through a fresh gateway; sessions are matched to callers by the caller id in the instructions. */
type Mode = 'auto' | 'pcm' | 'echo';

async function place(standIn: StandIn, dir: string, n: number, audio: Mode, durationMs: number): Promise<Run> {
  const gw = await startChildGateway({
    // 'echo': the same calls on the echo agent — the control for what the machine's load does to the media.
    agent: audio === 'echo' ? { type: 'echo', settings: { delay_ms: 0 } } : { type: 'openai-realtime', settings: { instructions: 'caller {from}', audio, connect_timeout_ms: 10_000 } },
    env: { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile, TRUNKGATE_LOG_LEVEL: 'info' },
    codecs: ['PCMU'], dir, workers: 'auto', mediaPorts: 2 * n + 20, maxCalls: n + 10,
  });
  const callers: CallerMedia[] = [];
  for (let i = 0; i < n; i++) {
    const c = new CallerMedia();
    await c.bind();
    callers.push(c);
  }
  const sessions = new Map<number, StandInSession>();
  standIn.onSession = (s) => {
    s.next('session.update').then((u) => {
      const m = u.session.type === 'realtime' ? /caller (\d+)/.exec(u.session.instructions ?? '') : null;
      if (m) sessions.set(Number(m[1]), s);
    }, () => undefined); // closed before its session.update: the call failed (counted by the step)
  };
  const inf = join(dir, `callers-${n}-${audio}.csv`);
  writeFileSync(inf, `SEQUENTIAL\n${callers.map((c, i) => `${c.port};${9000 + i}`).join('\n')}\n`);
  const scn = join(dir, 'bench-caller.xml');
  writeFileSync(scn, scenarioXml(durationMs));
  const ticker = setInterval(() => { for (const c of callers) c.tick(); }, 20);
  // The gateway latches onto the caller's source: start sending once the gateway has sent to us.
  const sipp = runSipp({
    args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-s', '919876543210', '-i', '127.0.0.1', '-p', String(await freePort()),
      '-mp', String(await sippMediaPort()), '-inf', inf, '-m', String(n), '-l', String(n), '-r', '50', '-rp', '1000'],
    timeoutMs: durationMs + 60_000,
  });
  return {
    gw, callers, sessions, sipp,
    async stop() {
      clearInterval(ticker);
      for (const c of callers) c.socket.close();
      standIn.onSession = undefined;
      await gw.stop();
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (cond()) return true;
    await sleep(2);
  }
  return cond();
}

async function latency(standIn: StandIn, dir: string, audio: 'auto' | 'pcm'): Promise<BenchResult[]> {
  const run = await place(standIn, dir, LAT_CALLS, audio, LAT_TURNS * 2500 + 8000);
  const firstRtp: number[] = [];
  const lastFrame: number[] = [];
  const silenced: number[] = [];
  for (const c of run.callers) c.recordQuiet = true;
  try {
    await until(() => run.sessions.size === LAT_CALLS, 15_000);
    const answer = audio === 'auto' ? Buffer.from(encodeUlaw(tone(3000, 8000, 440))) : pcmBytes(tone(3000, 24000, 440));
    const chunk = audio === 'auto' ? 1600 : 9600; // 200 ms deltas
    await Promise.all([...run.sessions].map(async ([i, s]) => {
      const c = run.callers[i - 9000]!;
      for (let turn = 0; turn < LAT_TURNS; turn++) {
        await sleep(300 + Math.random() * 100);
        const t0 = performance.now();
        s.respondWithAudio(answer, { chunkBytes: chunk });
        if (!(await until(() => c.sound.some((t) => t > t0), 3000))) continue;
        firstRtp.push(c.sound.find((t) => t > t0)! - t0);
        await sleep(500);
        const started = s.speech.started.length;
        const stopped = s.speech.stopped.length;
        c.speaking = true;
        if (!(await until(() => s.speech.started.length > started, 3000))) { c.speaking = false; continue; }
        const t2 = s.speech.started[started]!;
        await sleep(200);
        c.speaking = false;
        await until(() => s.speech.stopped.length > stopped, 3000);
        // The last answer packet at the caller after speech_started (0 when the next frame was already silent),
        // and the first silent one: the caller stops hearing the answer.
        const after = c.sound.filter((t) => t > t2 && t < t2 + 1000);
        lastFrame.push(after.length ? after[after.length - 1]! - t2 : 0);
        const silentAt = c.quiet.find((t) => t > t2);
        if (silentAt !== undefined) silenced.push(silentAt - t2);
      }
    }));
  } finally {
    await run.sipp.catch(() => undefined);
    await run.stop();
  }
  const label = audio === 'auto' ? 'g711-passthrough' : 'pcm24k';
  return [
    { suite: 'openai-realtime', name: `${label}: first delta → first RTP p50`, value: pct(firstRtp, 50), unit: 'ms', detail: { samples: firstRtp.length } },
    { suite: 'openai-realtime', name: `${label}: first delta → first RTP p99`, value: pct(firstRtp, 99), unit: 'ms', detail: { max: Math.max(...firstRtp) } },
    { suite: 'openai-realtime', name: `${label}: speech_started → last answer frame p50`, value: pct(lastFrame, 50), unit: 'ms', detail: { samples: lastFrame.length } },
    { suite: 'openai-realtime', name: `${label}: speech_started → last answer frame p99`, value: pct(lastFrame, 99), unit: 'ms', detail: { max: Math.max(...lastFrame) } },
    { suite: 'openai-realtime', name: `${label}: speech_started → first silent frame p50`, value: pct(silenced, 50), unit: 'ms', detail: { samples: silenced.length } },
    { suite: 'openai-realtime', name: `${label}: speech_started → first silent frame p99`, value: pct(silenced, 99), unit: 'ms', detail: { max: Math.max(...silenced) } },
  ];
}

/** CPU time of a process (all its threads: utime + stime), µs. */
function processCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1e4;
}

async function capacity(standIn: StandIn, dir: string, n: number, audio: Mode): Promise<BenchResult[]> {
  const durationMs = (SECONDS + 6) * 1000;
  const run = await place(standIn, dir, n, audio, durationMs);
  const answer = audio === 'pcm' ? pcmBytes(tone(2000, 24000, 440)) : Buffer.from(encodeUlaw(tone(2000, 8000, 440)));
  let streaming = true;
  let cpu0 = 0;
  let cpu1 = 0;
  try {
    if (audio !== 'echo') await until(() => run.sessions.size === n, 30_000);
    const feeders = [...run.sessions.values()].map(async (s) => {
      while (streaming) {
        s.respondWithAudio(answer, { chunkBytes: audio === 'auto' ? 1600 : 9600 });
        await sleep(2000);
      }
    });
    await sleep(2000);
    cpu0 = processCpuUs(run.gw.pid);
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    cpu1 = processCpuUs(run.gw.pid);
    const own = process.cpuUsage(own0);
    const wall = performance.now() - t0;
    streaming = false;
    await Promise.all(feeders);
    const r = await run.sipp;
    await run.gw.line(() => run.gw.logs().filter((l) => l.event === 'call_end').length >= n, 30_000).catch(() => undefined);
    const ends = run.gw.logs().filter((l) => l.event === 'call_end');
    if (ends.length < n) process.stderr.write(`${audio} ${n}: ${ends.length} call_end lines; sipp ${r.code}\n${r.errors.slice(0, 1500)}\n${run.gw.output().slice(-3000)}\n`);
    const late = ends.reduce((a, l) => a + Number(l.lateFrames ?? 0), 0);
    const sent = ends.reduce((a, l) => a + Number(l.framesSent ?? 0), 0);
    const label = audio === 'auto' ? 'g711-passthrough' : audio === 'pcm' ? 'pcm24k' : 'echo agent (control)';
    const cpuPerCall = ((cpu1 - cpu0) / 1000 / wall) * 100 / n;
    return [
      { suite: 'openai-realtime', name: `${label}: ${n} calls, late frames`, value: sent ? (100 * late) / sent : NaN, unit: '%', detail: { late, framesSent: sent, calls: ends.length, sippCode: r.code, sessions: run.sessions.size } },
      { suite: 'openai-realtime', name: `${label}: ${n} calls, gateway CPU per call`, value: cpuPerCall, unit: '% of a core', detail: { gatewayCpuPct: +(cpuPerCall * n).toFixed(1), generatorCpuPct: +(((own.user + own.system) / 1000 / wall) * 100).toFixed(1) } },
    ];
  } finally {
    streaming = false;
    await run.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.tmp', 'bench-realtime-'));
  const standIn = await startStandIn(join(dir, 'tls'));
  const out: BenchResult[] = [];
  try {
    if (PARTS.includes('latency')) {
      out.push(...await latency(standIn, dir, 'auto'));
      out.push(...await latency(standIn, dir, 'pcm'));
    }
    for (const n of PARTS.includes('capacity') ? STEPS : []) {
      for (const mode of MODES) out.push(...await capacity(standIn, dir, n, mode));
    }
  } finally {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
