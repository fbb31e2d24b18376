/**
 * What a session will send: PCM at the codec rate cut into ptime frames, with marks between
 * them (Twilio-style: a mark is due once all audio queued before it has been sent). A trailing
 * partial frame waits for more audio; a mark flushes it padded with silence so the mark is not
 * held back by half a frame.
 */

const NO_MARKS: readonly string[] = Object.freeze([]);

export type QueueItem = { kind: 'frame'; pcm: Int16Array } | { kind: 'mark'; name: string };

export class PlayQueue {
  readonly frameSamples: number;
  #items: QueueItem[] = [];
  #head = 0;
  #partial: Int16Array;
  #partialLen = 0;
  #frames = 0;

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
    this.#partial = new Int16Array(frameSamples);
  }

  /** Whole frames waiting (partial excluded). */
  get frames(): number { return this.#frames; }
  /** Samples waiting, including the partial frame. */
  get samples(): number { return this.#frames * this.frameSamples + this.#partialLen; }
  get empty(): boolean { return this.#head >= this.#items.length && this.#partialLen === 0; }

  push(pcm: Int16Array): void {
    let off = 0;
    if (this.#partialLen > 0) {
      const take = Math.min(pcm.length, this.frameSamples - this.#partialLen);
      this.#partial.set(pcm.subarray(0, take), this.#partialLen);
      this.#partialLen += take;
      off = take;
      if (this.#partialLen === this.frameSamples) this.#flushPartial();
    }
    while (pcm.length - off >= this.frameSamples) {
      this.#items.push({ kind: 'frame', pcm: pcm.slice(off, off + this.frameSamples) });
      this.#frames++;
      off += this.frameSamples;
    }
    if (off < pcm.length) {
      this.#partial.set(pcm.subarray(off), 0);
      this.#partialLen = pcm.length - off;
    }
  }

  mark(name: string): void {
    if (this.#partialLen > 0) {
      this.#partial.fill(0, this.#partialLen);
      this.#partialLen = this.frameSamples;
      this.#flushPartial();
    }
    this.#items.push({ kind: 'mark', name });
  }

  #flushPartial(): void {
    this.#items.push({ kind: 'frame', pcm: this.#partial.slice(0, this.frameSamples) });
    this.#frames++;
    this.#partialLen = 0;
  }

  /** Marks at the head (everything before them has been sent). Called twice per tick: no garbage when none. */
  takeDueMarks(): readonly string[] {
    if (this.#items[this.#head]?.kind !== 'mark') return NO_MARKS;
    const out: string[] = [];
    while (this.#head < this.#items.length) {
      const it = this.#items[this.#head]!;
      if (it.kind !== 'mark') break;
      out.push(it.name);
      this.#head++;
    }
    this.#compact();
    return out;
  }

  /** The next frame to send, or undefined (a mark at the head must be taken first). */
  nextFrame(): Int16Array | undefined {
    const it = this.#items[this.#head];
    if (!it || it.kind !== 'frame') return undefined;
    this.#head++;
    this.#frames--;
    this.#compact();
    return it.pcm;
  }

  /** Drop everything; returns the marks dropped, in order. */
  clear(): string[] {
    const marks: string[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const it = this.#items[i]!;
      if (it.kind === 'mark') marks.push(it.name);
    }
    this.#items = [];
    this.#head = 0;
    this.#frames = 0;
    this.#partialLen = 0;
    return marks;
  }

  #compact(): void {
    if (this.#head > 256 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
