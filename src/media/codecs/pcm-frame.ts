/**
 * New PCM frames carved out of a shared slab, as Node's Buffer.allocUnsafe carves Buffers out of
 * its pool: a typed array with its own ArrayBuffer costs a malloc and a GC finalizer (≈ 350 ns for
 * a 160-sample frame here), a view on a slab about a third of that. Each frame is a distinct,
 * zero-filled region that is never handed out again, so callers own it as if freshly allocated;
 * the price is that a frame kept alive keeps its 8 KiB slab alive.
 */
const SLAB_SAMPLES = 4096;

let slab = new ArrayBuffer(SLAB_SAMPLES * 2);
let used = 0;

/** A new zero-filled Int16Array of `samples` samples. */
export function pcmFrame(samples: number): Int16Array {
  if (samples > SLAB_SAMPLES / 4) return new Int16Array(samples);
  if (used + samples > SLAB_SAMPLES) {
    slab = new ArrayBuffer(SLAB_SAMPLES * 2);
    used = 0;
  }
  const frame = new Int16Array(slab, used * 2, samples);
  used += samples;
  return frame;
}
