/** Public surface of the media engine (RTP, pacing, RTCP, SDP offer/answer, MediaSession). */
export * from './sdp/types.js';
export * from './session/types.js';
export { PortAllocator, PortExhaustedError, InvalidPortRangeError } from './ports.js';
export type { PortLease, PortAllocatorOptions } from './ports.js';
export { MediaClock, sharedClock } from './rtp/clock.js';
export type { ClockTick, TickListener, MediaClockOptions } from './rtp/clock.js';
