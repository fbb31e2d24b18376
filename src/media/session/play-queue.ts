/**
 * What a session will send: PCM at the codec rate cut into ptime frames, with marks between
 * them (Twilio-style: a mark is due once all audio queued before it has been sent). A trailing
 * partial frame waits for more audio; a mark flushes it padded with silence so the mark is not
 * held back by half a frame.
 *
 * Memory: the audio lives in one ring of samples (copied in by `push`), not in one typed array
 * per frame, and `nextFrame(out)` copies a frame into the caller's buffer, so a steady stream
 * allocates nothing per frame and nothing already sent stays reachable. The ring grows to what is
 * queued and shrinks back to `MIN_FRAMES` frames once it has drained.
 */

const NO_MARKS: readonly string[] = Object.freeze([]);
/** Ring size (in frames) a queue starts with and shrinks back to. */
const MIN_FRAMES = 8;

interface Mark { name: string; /** Absolute sample position: due once this many samples were sent. */ at: number }

export class PlayQueue {
  readonly frameSamples: number;
  #ring: Int16Array;
  /** Ring index of the oldest queued sample. */
  #head = 0;
  /** Samples queued (whole frames and the partial one). */
  #length = 0;
  /** Absolute position of the oldest queued sample (samples taken so far). */
  #taken = 0;
  #marks: Mark[] = [];
  /** What `mark` pads a partial frame with: 0 for PCM; the codec's silence octet when the queue holds G.711 payload. */
  padValue = 0;

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
    this.#ring = new Int16Array(frameSamples * MIN_FRAMES);
  }

  /** Whole frames waiting (partial excluded). */
  get frames(): number { return Math.floor(this.#length / this.frameSamples); }
  /** Samples waiting, including the partial frame. */
  get samples(): number { return this.#length; }
  get empty(): boolean { return this.#length === 0 && this.#marks.length === 0; }
  /** Samples the ring holds without growing (its memory is twice this in bytes). */
  get capacity(): number { return this.#ring.length; }

  push(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.#reserve(pcm.length);
    const cap = this.#ring.length;
    const tail = (this.#head + this.#length) % cap;
    const first = Math.min(pcm.length, cap - tail);
    this.#ring.set(first === pcm.length ? pcm : pcm.subarray(0, first), tail);
    if (first < pcm.length) this.#ring.set(pcm.subarray(first), 0);
    this.#length += pcm.length;
  }

  mark(name: string): void {
    const partial = this.#length % this.frameSamples;
    if (partial > 0) {
      // Pad the partial frame with silence up to the frame boundary.
      const pad = this.frameSamples - partial;
      this.#reserve(pad);
      // The ring is a whole number of frames and the head sits on a frame boundary, so the
      // padding ends on one too and never crosses the end of the ring.
      const tail = (this.#head + this.#length) % this.#ring.length;
      this.#ring.fill(this.padValue, tail, tail + pad);
      this.#length += pad;
    }
    this.#marks.push({ name, at: this.#taken + this.#length });
  }

  /** Marks at the head (everything before them has been sent). Called twice per tick: no garbage when none. */
  takeDueMarks(): readonly string[] {
    if (this.#marks.length === 0 || this.#marks[0]!.at > this.#taken) return NO_MARKS;
    const out: string[] = [];
    while (this.#marks.length > 0 && this.#marks[0]!.at <= this.#taken) out.push(this.#marks.shift()!.name);
    this.#shrinkIfDrained();
    return out;
  }

  /**
   * The next frame to send, or undefined (a mark at the head must be taken first). The frame is
   * copied into `out` when given (reused by the caller from frame to frame), else into a new array.
   */
  nextFrame(out?: Int16Array): Int16Array | undefined {
    const n = this.frameSamples;
    if (this.#length < n) return undefined;
    if (this.#marks.length > 0 && this.#marks[0]!.at <= this.#taken) return undefined;
    const frame = out && out.length === n ? out : new Int16Array(n);
    // The ring is a whole number of frames and the head moves frame by frame: a frame never wraps.
    frame.set(this.#ring.subarray(this.#head, this.#head + n));
    this.#head = (this.#head + n) % this.#ring.length;
    this.#length -= n;
    this.#taken += n;
    this.#shrinkIfDrained();
    return frame;
  }

  /** Drop everything; returns the marks dropped, in order. */
  clear(): string[] {
    const marks = this.#marks.map((m) => m.name);
    this.#marks = [];
    this.#taken += this.#length;
    this.#head = 0;
    this.#length = 0;
    this.#shrinkIfDrained();
    return marks;
  }

  /** Room for `more` samples: grow the ring (doubling), keeping the queued samples in order. */
  #reserve(more: number): void {
    const need = this.#length + more;
    const cap = this.#ring.length;
    if (need <= cap) return;
    let size = cap * 2;
    while (size < need) size *= 2;
    const next = new Int16Array(size);
    const first = Math.min(this.#length, cap - this.#head);
    next.set(this.#ring.subarray(this.#head, this.#head + first), 0);
    if (first < this.#length) next.set(this.#ring.subarray(0, this.#length - first), first);
    this.#ring = next;
    this.#head = 0;
  }

  /** A long prompt grew the ring: give the memory back once everything was sent. */
  #shrinkIfDrained(): void {
    if (this.#length !== 0) return;
    this.#head = 0;
    if (this.#ring.length > this.frameSamples * MIN_FRAMES) this.#ring = new Int16Array(this.frameSamples * MIN_FRAMES);
  }
}
