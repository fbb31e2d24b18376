/** One received RTP packet as the jitter buffer sees it (header fields of RFC 3550 §5.1). */
export interface JitterPacket {
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
  marker: boolean;
  payloadType: number;
  /** Local arrival time, ms (any monotonic clock; the same one pop() is given). */
  arrivalMs: number;
}

/**
 * What to play for one frame time:
 * - `packet`: the next packet in sequence;
 * - `missing`: a frame should be here: conceal it (PLC). `lost` = the packet never came (later
 *   ones did); `wait` = it is not here yet and the buffer is below its target depth, so playout
 *   waits one frame for it (the depth grows); `underrun` = nothing is buffered, the buffer is
 *   refilling to its target depth;
 * - `empty`: nothing to play and nothing lost (no stream yet, or after a reset).
 */
export type PopResult =
  | { kind: 'packet'; packet: JitterPacket }
  | { kind: 'missing'; reason: 'lost' | 'wait' | 'underrun' }
  | { kind: 'empty' };

export interface JitterBufferStats {
  /** Packets accepted (not duplicates, not late). */
  received: number;
  /** Sequence numbers skipped at playout (never arrived in time). */
  lost: number;
  /** Packets that arrived after their playout time and were dropped. */
  late: number;
  duplicates: number;
  /** Packets that arrived after a higher sequence number but still in time. */
  reordered: number;
  /** Times playout ran dry and the buffer went back to filling. */
  underruns: number;
  /** Frames concealed while waiting for a late packet to grow the depth. */
  stretched: number;
  /** Frames skipped to shrink the buffer, or dropped because it was over capacity. */
  discarded: number;
  /** Stream restarts: SSRC change, timestamp or sequence jump. */
  resets: number;
  /** Span of buffered audio, ms. */
  bufferedMs: number;
  /** The depth the buffer currently aims for, ms. */
  targetDepthMs: number;
  /** RFC 3550 interarrival jitter estimate, ms. */
  jitterMs: number;
}

export type ResetReason = 'ssrc' | 'timestamp-jump' | 'sequence-jump';

export interface JitterBufferEvents {
  /** The stream restarted; buffered packets were discarded. */
  reset: [reason: ResetReason];
  /** The adaptive target depth changed. */
  depth: [targetDepthMs: number];
  /** Playout ran dry. */
  underrun: [];
}

export interface JitterBufferOptions {
  /** RTP clock rate of the stream. */
  clockRate: number;
  /** Frame duration until learnt from the timestamps (default 20 ms). */
  frameMs?: number;
  /** Adaptive depth bounds (default 20 and 60 ms). */
  minDepthMs?: number;
  maxDepthMs?: number;
  /** A timestamp off by more than this from what the sequence number predicts restarts the stream (default 1000 ms). */
  maxTimestampJumpMs?: number;
  /** Sequence jumps beyond these (RFC 3550 A.1 MAX_DROPOUT / MAX_MISORDER) restart the stream (default 3000 / 100). */
  maxDropout?: number;
  maxMisorder?: number;
  /** Skip at most one frame per this interval to shrink the buffer (default 1000 ms). */
  shrinkIntervalMs?: number;
  /** Most packets held (default 100); beyond it the oldest are discarded. */
  capacity?: number;
  /** Decay of the observed delay peak (default 2 ms per second). */
  decayMsPerSecond?: number;
  /**
   * Least time between a packet's arrival and its playout (default 0): a packet younger than this
   * does not count towards the depth when playout starts or shrinks.
   */
  guardMs?: number;
}
