/**
 * INVITE → 200 OK time through the whole gateway (embedded drachtio server + drachtio-srf app +
 * MediaSession + echo agent) under a moderate load of SIPp calls that stream PCMU audio, compared
 * in the same run with SIPp uac → SIPp's built-in uas (no media, no app: the floor of the setup).
 * Times come from SIPp's own response-time trace (-trace_rtt, rtd on the 200 OK).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { BenchResult } from '../run.js';
import { validateConfig } from '../../src/gateway/config/load.js';
import { startGatewayProcess } from '../../src/runtime/gateway-process.js';

const RATE = Number(process.env.TG_BENCH_RATE ?? 20);
const CALLS = Number(process.env.TG_BENCH_CALLS ?? 300);
const HOLD_MS = 2000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function speechWav(dir: string): string {
  const out = join(dir, 'speech-ulaw.wav');
  if (existsSync(out)) return out;
  execFileSync('espeak-ng', ['-w', join(dir, 'raw.wav'), 'This is a load test of the trunk gateway. Counting one two three four five.']);
  execFileSync('sox', [join(dir, 'raw.wav'), '-r', '8000', '-c', '1', '-e', 'u-law', out]);
  return out;
}

function scenario(wav: string): string {
  const hdr = `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench-invite-to-200">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${hdr}
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=sendrecv
  ]]></send>
  <recv response="100" optional="true" start_rtd="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      ${hdr}
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <nop><action><exec rtp_stream="${wav},-1,0"/></action></nop>
  <pause milliseconds="${HOLD_MS}"/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      ${hdr}
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
  <ResponseTimeRepartition value="5, 10, 20, 50, 100, 200"/>
</scenario>
`;
}

function runSipp(args: string[], cwd: string): Promise<number | null> {
  const child = spawn('sipp', [...args, '-nostdin', '-buff_size', '4194304'], { cwd, stdio: 'ignore' });
  const kill = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((r) => child.on('close', (code) => { clearTimeout(kill); r(code); }));
}

/** start_rtd on INVITE send is not possible in SIPp; rtd counts from the scenario start (the INVITE). */
function readRtt(dir: string): number[] {
  const f = readdirSync(dir).find((x) => x.endsWith('_rtt.csv'));
  if (!f) return [];
  return readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1)
    .map((l) => Number(l.split(';')[1])).filter((x) => Number.isFinite(x));
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function measure(target: string, scenarioFile: string, label: string, calls = CALLS): Promise<{ rtt: number[]; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), `tg-bench-${label}-`));
  const port = await freePort();
  const mp = await freePort();
  const code = await runSipp(['-sf', scenarioFile, target, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp),
    '-m', String(calls), '-r', String(RATE), '-trace_rtt', '-rtt_freq', '1', '-s', '919876543210'], dir);
  return { rtt: readRtt(dir), code };
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const scn = join(work, 'uac.xml');
  const wav = speechWav(work);
  // rtd starts at the INVITE: remove start_rtd (unsupported on recv for our purpose) so the timer starts at scenario start.
  writeFileSync(scn, scenario(wav).replace(' start_rtd="true"', ''));

  // Baseline: SIPp's built-in uas answers at once (no media, no application).
  const uasPort = await freePort();
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-nostdin', '-buff_size', '4194304'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const base = await measure(`127.0.0.1:${uasPort}`, scn, 'uas');
  uas.kill('SIGTERM');

  const sipPort = await freePort();
  const config = validateConfig({
    sip: { listen: [{ address: '127.0.0.1', port: sipPort, transport: 'udp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: 0, secret: 'bench' } },
    trunks: [{ name: 'bench', sources: ['127.0.0.1/32'], country_code: '91', max_calls: 1000, routes: [{ pattern: '*', agent: 'echo' }] }],
    agents: { echo: { type: 'echo', settings: { delay_ms: 200 } } },
    media: { address: '127.0.0.1', port_min: 42000, port_max: 43999 },
    edge: { rate_per_second: 100000, burst: 100000 },
  });
  const proc = await startGatewayProcess({ config, logger: pino({ level: 'silent' }), controlPort: 0 });
  await measure(`127.0.0.1:${sipPort}`, scn, 'warmup', 20);
  const calls0 = proc.gateway.stats().callsTotal;
  const cpu0 = process.cpuUsage();
  const gw = await measure(`127.0.0.1:${sipPort}`, scn, 'gateway');
  const cpu = process.cpuUsage(cpu0);
  const stats = proc.gateway.stats();
  await proc.stop({ graceMs: 1000 });

  const detail = { rate: RATE, calls: CALLS, holdMs: HOLD_MS, concurrentApprox: RATE * (HOLD_MS / 1000), sippExit: gw.code, samples: gw.rtt.length };
  const gwMedian = quantile(gw.rtt, 0.5);
  const baseMedian = quantile(base.rtt, 0.5);
  return [
    { suite: 'gateway', name: 'INVITE→200 median (gateway, echo agent)', value: gwMedian, unit: 'ms', detail },
    { suite: 'gateway', name: 'INVITE→200 p99 (gateway, echo agent)', value: quantile(gw.rtt, 0.99), unit: 'ms', detail },
    { suite: 'gateway', name: 'INVITE→200 median (SIPp uas baseline)', value: baseMedian, unit: 'ms', detail: { samples: base.rtt.length, sippExit: base.code } },
    { suite: 'gateway', name: 'INVITE→200 p99 (SIPp uas baseline)', value: quantile(base.rtt, 0.99), unit: 'ms' },
    { suite: 'gateway', name: 'median added by the gateway over the baseline', value: gwMedian - baseMedian, unit: 'ms' },
    { suite: 'gateway', name: 'gateway process CPU per call (signalling + media)', value: ((cpu.user + cpu.system) / 1000) / Math.max(1, stats.callsTotal - calls0), unit: 'ms', detail: { calls: stats.callsTotal - calls0, holdMs: HOLD_MS } },
  ];
}
