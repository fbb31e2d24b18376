/**
 * Recording through rtpengine (media.anchor: rtpengine, the real daemon in userspace with
 * --recording-method=pcap): per trunk (`record: true`) or per call (`io.record()`), the file is
 * named in call_end, and it holds the call's audio — each RTP stream in it, decoded by ffmpeg,
 * correlates with what baresip sent (the caller's stream, and the echo of it from the agent).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { readPcapRtp, type PcapRtp } from '../../helpers/pcap.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { baresipCall } from '../helpers/baresip-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const RECORD_AGENT = join(import.meta.dirname, '../fixtures/record-agent.ts');
let daemon: RtpengineDaemon;
let recordingDir: string;
beforeAll(async () => {
  mkdirSync(resolve('.tmp'), { recursive: true });
  recordingDir = mkdtempSync(join(resolve('.tmp'), 'rtpengine-rec-'));
  daemon = await startRtpengine({ recordingDir });
});
afterAll(async () => { await daemon?.stop(); });
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** The PCMU streams of a recording (by SSRC, in sequence order), decoded to 8 kHz PCM by ffmpeg. */
function decodedStreams(pcap: string): { ssrc: number; packets: number; pcm: Int16Array }[] {
  const bySsrc = new Map<number, PcapRtp[]>();
  for (const p of readPcapRtp(readFileSync(pcap))) {
    if (p.payloadType !== 0) continue;
    bySsrc.set(p.ssrc, [...(bySsrc.get(p.ssrc) ?? []), p]);
  }
  return [...bySsrc].map(([ssrc, pkts]) => {
    const ulaw = Buffer.concat(pkts.sort((a, b) => a.seq - b.seq).map((p) => p.payload));
    const raw = execFileSync('ffmpeg', ['-loglevel', 'error', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], { input: ulaw, maxBuffer: 64 << 20 });
    return { ssrc, packets: pkts.length, pcm: new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2) };
  });
}

async function recordedCall(options: { trunk: Record<string, unknown>; agent?: string }): Promise<{ end: Record<string, unknown>; source: string; output: string }> {
  const source = speechWav('anchor-rec', 'Recorded call test. One two three four five six seven.', 8000, 'signed-integer', 2);
  gw = await startTestGateway({
    trunk: { codecs: ['PCMU'], ...options.trunk }, ...(options.agent ? { agent: options.agent } : {}),
    agents: { recorder: { type: 'module', module: RECORD_AGENT } },
    media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng], recording_dir: recordingDir } },
  });
  const r = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'PCMU/8000/1', undefined, 10);
  await gw.waitIdle();
  const end = gw.logs().find((l) => l.event === 'call_end');
  expect(end, r.output).toBeDefined();
  return { end: end!, source, output: r.output };
}

function expectRecordingHoldsTheCall(end: Record<string, unknown>, source: string): void {
  const rec = (end.rtpengine as { recording?: { file: string; format: string } } | undefined)?.recording;
  expect(rec?.format).toBe('pcap');
  expect(rec!.file.startsWith(join(recordingDir, 'pcaps'))).toBe(true);
  expect(existsSync(rec!.file)).toBe(true);
  const streams = decodedStreams(rec!.file);
  const sent = readWav(readFileSync(source)).samples;
  const scores = streams.map((s) => {
    const w = windowedCorrelation(sent, s.pcm, 2000, 8000 * 3);
    return { ssrc: s.ssrc, packets: s.packets, seconds: s.pcm.length / 8000, windows: w.length, median: median(w.map((x) => x.ncc)) };
  });
  const detail = JSON.stringify(scores);
  // The caller → rtpengine stream and the echo coming back: both carry the caller's speech, about the call's length.
  const speaking = scores.filter((s) => s.windows >= 4 && s.median >= 0.9);
  expect(speaking.length, detail).toBeGreaterThanOrEqual(2);
  for (const s of speaking) expect(s.seconds, detail).toBeGreaterThan(6);
}

describe('recording through rtpengine', () => {
  it('a trunk with record: true: call_end names the pcap rtpengine wrote, and its streams hold the caller\'s speech and the echo', async () => {
    const { end, source } = await recordedCall({ trunk: { record: true } });
    expectRecordingHoldsTheCall(end, source);
  }, 60_000);

  it('io.record() on one call of a trunk that does not record: the same, for that call', async () => {
    const { end, source } = await recordedCall({ trunk: {}, agent: 'recorder' });
    expect(gw!.logs().find((l) => l.event === 'test_record')).toMatchObject({ available: true, ok: true });
    expectRecordingHoldsTheCall(end, source);
  }, 60_000);

  it('without record, no recording: call_end has rtpengine\'s counters and no file', async () => {
    const { end } = await recordedCall({ trunk: {} });
    expect(end.rtpengine).toMatchObject({ daemon: daemon.ng });
    expect((end.rtpengine as { recording?: unknown }).recording).toBeUndefined();
  }, 60_000);
});
