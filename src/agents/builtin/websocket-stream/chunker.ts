/** Regroups PCM frames of any size into fixed-size chunks (20 ms media events). */
export function createFrameChunker(size: number): { push(frame: Int16Array): Int16Array[] } {
  let pending = new Int16Array(0);
  return {
    push(frame) {
      const all = new Int16Array(pending.length + frame.length);
      all.set(pending);
      all.set(frame, pending.length);
      const out: Int16Array[] = [];
      let at = 0;
      for (; at + size <= all.length; at += size) out.push(all.slice(at, at + size));
      pending = all.slice(at);
      return out;
    },
  };
}
