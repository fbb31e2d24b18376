/**
 * Which assistant audio item is being played and how much of it the caller has heard, for barge-in:
 * on `input_audio_buffer.speech_started` the agent clears the play queue and truncates the item at
 * the heard position. "Heard" is what left the socket: the item's audio queued so far minus what
 * the session still reports as queued (`io.queuedMs`), never more than was received — the API
 * rejects a truncate past the audio it sent.
 */

export interface Truncation {
  itemId: string;
  /** Milliseconds of the item the caller heard (integer, 0 ≤ ms ≤ received). */
  audioEndMs: number;
  /** Received from the server for the item, ms. */
  receivedMs: number;
}

export class PlaybackTracker {
  #itemId: string | undefined;
  #receivedMs = 0;
  /** Items interrupted by the caller: their late deltas are dropped, not played. */
  readonly #interrupted = new Set<string>();

  /** A delta of `itemId` (ms long) is about to be queued; false = drop it (an interrupted item). */
  accept(itemId: string): boolean {
    return !this.#interrupted.has(itemId);
  }

  /** A delta of `ms` for `itemId` has been queued. */
  queued(itemId: string, ms: number): void {
    if (itemId !== this.#itemId) {
      this.#itemId = itemId;
      this.#receivedMs = 0;
    }
    this.#receivedMs += ms;
  }

  /**
   * The caller spoke: where to truncate the current item, given the audio still queued for the
   * caller and whether the server may still be producing it; undefined when nothing is left
   * unheard (the item was played to the end, or there is none). Its late deltas are dropped.
   */
  interrupt(queuedMs: number, stillStreaming: boolean): Truncation | undefined {
    const itemId = this.#itemId;
    if (itemId === undefined) return undefined;
    this.#itemId = undefined;
    const received = this.#receivedMs;
    this.#receivedMs = 0;
    const heard = Math.max(0, Math.min(received, received - queuedMs));
    this.#interrupted.add(itemId);
    if (queuedMs <= 0 && !stillStreaming) return undefined;
    return { itemId, audioEndMs: Math.floor(heard), receivedMs: received };
  }
}
