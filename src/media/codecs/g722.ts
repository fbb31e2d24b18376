/**
 * ITU-T G.722 (11/88, 2012) 7 kHz audio coding at 64 kbit/s: a 24-tap QMF splits 16 kHz PCM into
 * two 8 kHz sub-bands; the lower band is coded with 6-bit ADPCM, the higher band with 2-bit ADPCM;
 * each octet carries IH in its two most significant bits and IL in the other six. RTP: RFC 3551 §4.5.2
 * (clock rate 8000 although the audio is sampled at 16 kHz).
 *
 * The integer arithmetic (rounding, clipping, word widths) is the Recommendation's fixed-point
 * arithmetic, in the scaling spandsp and ffmpeg use, so that the bitstream and the PCM are
 * bit-exact with them (ffmpeg's encoder without trellis search; checked in
 * test/media/codecs/g722.test.ts). Block names in comments are those of the Recommendation (QMF,
 * QUANTL, QUANTH, INVQAL, LOGSCL, SCALEL, UPPOL1, UPPOL2, UPZERO, FILTEP, FILTEZ, PREDIC).
 */
import { RepeatFadeConcealer } from './conceal.js';
import { CodecError, type AudioCodec } from './types.js';

/** G.722 Table 11: QMF coefficients h0..h11 (the filter is symmetric: h(23-i) = h(i)). */
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11] as const;

/** ILB: 2^x for the 5 fractional bits of the log scale factor, ×2048. */
const ILB = new Int32Array([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);

/**
 * Lower band quantizer decision levels (in the fixed-point units of DETL), m = 1..29.
 * The encoder looks for the interval of |EL| and maps it to the 6-bit code.
 */
const Q6 = new Int32Array([
  35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121,
  1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);

/** Inverse quantizer for the 6-bit lower band code (QQ6 with sign, indexed by IL). */
const INVQ6 = new Int32Array([
  -17, -17, -17, -17, -3101, -2738, -2376, -2088, -1873, -1689, -1535, -1399, -1279, -1170, -1072, -982,
  -899, -822, -750, -682, -618, -558, -501, -447, -396, -347, -300, -254, -211, -170, -130, -91,
  3101, 2738, 2376, 2088, 1873, 1689, 1535, 1399, 1279, 1170, 1072, 982, 899, 822, 750, 682,
  618, 558, 501, 447, 396, 347, 300, 254, 211, 170, 130, 91, 54, 17, -54, -17,
]);

/** Inverse quantizer for the 4-bit truncated lower band code (QQ4), which drives adaptation. */
const INVQ4 = new Int32Array([
  0, -2557, -1612, -1121, -786, -530, -323, -150, 2557, 1612, 1121, 786, 530, 323, 150, 0,
]);

/** Log scale factor multipliers for the 4-bit lower band code (WL, via RIL → IL4). */
const WL4 = new Int32Array([-60, 3042, 1198, 538, 334, 172, 58, -30, 3042, 1198, 538, 334, 172, 58, -30, -60]);

/** Higher band inverse quantizer (QQ2 with sign) and log scale multipliers (WH). */
const INVQ2 = new Int32Array([-926, -202, 926, 202]);
const WH = new Int32Array([798, -214]);

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const clip16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);

/** The adaptive predictor and quantizer adaptation state of one sub-band. */
class SubBand {
  /** SL / SH: predictor output. */
  s = 0;
  /** SZL / SZH: zero-section output. */
  sz = 0;
  /** Signs (1 = negative) of the two previous partially reconstructed signals P. */
  p1 = 0;
  p2 = 0;
  /** Previous reconstructed signal R, doubled. */
  r1 = 0;
  /** AL1/AL2: pole section coefficients. */
  a1 = 0;
  a2 = 0;
  /** DLT(1..6): quantized difference signals, doubled. */
  readonly d = new Int32Array(6);
  /** BL(1..6): zero section coefficients. */
  readonly b = new Int32Array(6);
  /** NBL/NBH: log scale factor. */
  nb = 0;
  /** DETL/DETH: linear scale factor. */
  det: number;

  constructor(initialDet: number) {
    this.det = initialDet;
  }

  /** UPPOL1, UPPOL2, UPZERO, FILTEZ, FILTEP, PREDIC for a new quantized difference `dq`. */
  adapt(dq: number): void {
    // Sign of the partially reconstructed signal P = DQ + SZ. sg1 = +1 when P and P(-1)
    // differ in sign (a1 moves down), sg2 = +1 when P and P(-2) agree (a2 moves up).
    const p = this.sz + dq < 0 ? 1 : 0;
    const sg1 = p !== this.p1 ? 1 : -1;
    const sg2 = p === this.p2 ? 1 : -1;
    this.p2 = this.p1;
    this.p1 = p;

    // UPPOL2: a2 with leakage 127/128 and stability limit ±12288.
    this.a2 = clamp(((sg1 * clamp(this.a1, -8191, 8191)) >> 5) + (sg2 << 7) + ((this.a2 * 127) >> 7), -12288, 12288);
    // UPPOL1: a1 with leakage 255/256 and |a1| ≤ 15360 − a2.
    const limit = 15360 - this.a2;
    this.a1 = clamp(-192 * sg1 + ((this.a1 * 255) >> 8), -limit, limit);

    // UPZERO: sign-sign update of the six zero coefficients.
    const d = this.d;
    const b = this.b;
    if (dq !== 0) {
      for (let i = 0; i < 6; i++) b[i] = ((b[i]! * 255) >> 8) + ((d[i]! ^ dq) < 0 ? -128 : 128);
    } else {
      for (let i = 0; i < 6; i++) b[i] = (b[i]! * 255) >> 8;
    }
    for (let i = 5; i > 0; i--) d[i] = d[i - 1]!;
    d[0] = dq * 2;

    // FILTEZ: zero-section output.
    let sz = 0;
    for (let i = 5; i >= 0; i--) sz += (b[i]! * d[i]!) >> 15;
    this.sz = sz;

    // RECONS + FILTEP + PREDIC.
    const r = clip16((this.s + dq) * 2);
    this.s = clip16(sz + ((this.a1 * r) >> 15) + ((this.a2 * this.r1) >> 15));
    this.r1 = r;
  }
}

/** SCALEL / SCALEH: log scale factor → linear scale factor. */
function scaleFactor(nb: number, offset: number): number {
  const x = nb - offset;
  const wd1 = ILB[(x >> 6) & 31]!;
  const shift = x >> 11;
  return shift < 0 ? wd1 >> -shift : wd1 << shift;
}

/** Lower band: INVQBL with the 4-bit code, LOGSCL, SCALEL, then the predictor update. */
function adaptLow(band: SubBand, il4: number): void {
  band.adapt((band.det * INVQ4[il4]!) >> 10);
  band.nb = clamp(((band.nb * 127) >> 7) + WL4[il4]!, 0, 18432);
  band.det = scaleFactor(band.nb, 8 << 11);
}

/** Higher band: LOGSCH, SCALEH, then the predictor update. */
function adaptHigh(band: SubBand, dh: number, ih: number): void {
  band.adapt(dh);
  band.nb = clamp(((band.nb * 127) >> 7) + WH[ih & 1]!, 0, 22528);
  band.det = scaleFactor(band.nb, 10 << 11);
}

/**
 * QMF delay line: the last 24 input (or reconstructed) samples. Kept twice in a 48-entry ring so
 * the 24-sample window is always contiguous without shifting the array on every sample pair.
 */
class QmfLine {
  readonly #x = new Int32Array(48);
  /** Index of the oldest sample of the current window. */
  #pos = 0;

  /** Push two samples and return the two filter sums (odd taps, even taps) of the transmit / receive QMF. */
  push(a: number, b: number, out: Int32Array): void {
    const x = this.#x;
    const p = this.#pos;
    // The window moves on by two: the two oldest samples become the two newest.
    x[p] = x[p + 24] = a;
    x[p + 1] = x[p + 25] = b;
    const w = (this.#pos = (p + 2) % 24);
    let odd = 0;
    let even = 0;
    for (let i = 0; i < 12; i++) {
      even += x[w + 2 * i]! * QMF[i]!;
      odd += x[w + 2 * i + 1]! * QMF[11 - i]!;
    }
    out[0] = odd;
    out[1] = even;
  }

  reset(): void {
    this.#x.fill(0);
    this.#pos = 0;
  }
}

/** Streaming G.722 encoder: 16 kHz PCM (even number of samples) → one octet per two samples. */
export class G722Encoder {
  readonly #qmf = new QmfLine();
  readonly #sums = new Int32Array(2);
  #low = new SubBand(8);
  #high = new SubBand(2);

  encode(pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length >> 1)): Uint8Array {
    if (pcm.length & 1) throw new CodecError('CODEC_BAD_FRAME', 'G722: odd number of samples');
    const low = this.#low;
    const high = this.#high;
    const sums = this.#sums;
    for (let n = 0, j = 0; n < pcm.length; n += 2, j++) {
      // Transmit QMF: XL = (sum odd + sum even) / 2^14, XH = (odd − even) / 2^14.
      this.#qmf.push(pcm[n]!, pcm[n + 1]!, sums);
      const xl = (sums[0]! + sums[1]!) >> 14;
      const xh = (sums[0]! - sums[1]!) >> 14;

      // Higher band ADPCM quantizer QUANTH: 2-bit code from the sign and |EH| vs 141/256·DETH.
      const eh = clip16(xh - high.s);
      const mag = eh >= 0 ? eh : ~eh;
      const ih = (mag < (141 * high.det) >> 8 ? 1 : 0) + (eh >= 0 ? 2 : 0);

      // Lower band ADPCM quantizer QUANTL: interval of |EL| among Q6·DETL, then the code.
      const el = clip16(xl - low.s);
      const wd = ((el >= 0 ? el : ~el) + 1) << 10;
      // The first m with wd ≤ Q6[m]·DETL (29 if none): binary search over the increasing levels.
      const det = low.det;
      let lo = 0;
      let hi = 29;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (wd > Q6[mid]! * det) lo = mid + 1;
        else hi = mid;
      }
      const m = lo;
      const il = (el < 0 ? (m < 2 ? 63 : 33) : 61) - m;

      adaptHigh(high, (high.det * INVQ2[ih]!) >> 10, ih);
      adaptLow(low, il >> 2);
      out[j] = (ih << 6) | il;
    }
    return out;
  }

  reset(): void {
    this.#qmf.reset();
    this.#low = new SubBand(8);
    this.#high = new SubBand(2);
  }
}

/** Streaming G.722 decoder (mode 1, 64 kbit/s): each octet → two 16 kHz samples. */
export class G722Decoder {
  readonly #qmf = new QmfLine();
  readonly #sums = new Int32Array(2);
  #low = new SubBand(8);
  #high = new SubBand(2);

  decode(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length * 2)): Int16Array {
    const low = this.#low;
    const high = this.#high;
    const sums = this.#sums;
    for (let j = 0; j < codes.length; j++) {
      const code = codes[j]!;
      const ih = code >> 6;
      const il = code & 0x3f;
      // INVQAL with the 6-bit code, RECONS and limit.
      const rl = clamp(((low.det * INVQ6[il]!) >> 10) + low.s, -16384, 16383);
      adaptLow(low, il >> 2);
      // INVQAH and higher band reconstruction.
      const dh = (high.det * INVQ2[ih]!) >> 10;
      const rh = clamp(dh + high.s, -16384, 16383);
      adaptHigh(high, dh, ih);
      // Receive QMF: xd = RL − RH, xs = RL + RH.
      this.#qmf.push(rl + rh, rl - rh, sums);
      out[2 * j] = clip16(sums[0]! >> 11);
      out[2 * j + 1] = clip16(sums[1]! >> 11);
    }
    return out;
  }

  reset(): void {
    this.#qmf.reset();
    this.#low = new SubBand(8);
    this.#high = new SubBand(2);
  }
}

class G722Codec implements AudioCodec {
  readonly name = 'G722' as const;
  readonly clockRate = 8000;
  readonly sampleRate = 16000;
  readonly channels = 1 as const;
  readonly #encoder = new G722Encoder();
  readonly #decoder = new G722Decoder();
  readonly #plc = new RepeatFadeConcealer();

  frameSamples(ptimeMs: number): number {
    return (this.sampleRate * ptimeMs) / 1000;
  }

  frameTicks(ptimeMs: number): number {
    return (this.clockRate * ptimeMs) / 1000;
  }

  encode(pcm: Int16Array): Buffer {
    return this.#encoder.encode(pcm) as Buffer;
  }

  decode(payload: Buffer, into?: Int16Array): Int16Array {
    if (payload.length === 0) throw new CodecError('CODEC_BAD_FRAME', 'G722: empty payload');
    const pcm = into?.length === payload.length * 2 ? this.#decoder.decode(payload, into) : this.#decoder.decode(payload);
    this.#plc.good(pcm);
    return pcm;
  }

  conceal(samples: number): Int16Array {
    return this.#plc.conceal(samples);
  }

  reset(): void {
    this.#encoder.reset();
    this.#decoder.reset();
    this.#plc.reset();
  }
}

export function createG722(): AudioCodec {
  return new G722Codec();
}
