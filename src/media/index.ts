/** Public surface of the media engine (RTP, pacing, RTCP, SDP offer/answer, MediaSession). */
export * from './sdp/types.js';
export * from './session/types.js';
export { negotiateAnswer, createOffer, applyAnswer, readRemote } from './sdp/negotiate.js';
export { SdpError, NoCommonCodecError } from './sdp/errors.js';
export { createMediaSession } from './session/session.js';
export { MediaSessionError, MediaSocketError } from './session/errors.js';
export { MediaEngine } from './session/engine.js';
export { forwardAudio } from './session/forward.js';
export type { Forward, ForwardOptions } from './session/forward.js';
export { LiveBacklog } from './session/live-backlog.js';
export type { LiveBacklogOptions } from './session/live-backlog.js';
export type { MediaEngineOptions, PendingOffer, SessionStartOptions } from './session/engine.js';
export { PortAllocator, PortExhaustedError, InvalidPortRangeError } from './ports.js';
export type { PortLease, PortAllocatorOptions } from './ports.js';
export { MediaClock, sharedClock } from './rtp/clock.js';
export type { ClockTick, TickListener, TickPhase, MediaTicker, MediaClockOptions } from './rtp/clock.js';
