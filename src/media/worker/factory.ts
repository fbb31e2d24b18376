/**
 * How the call layer gets a MediaSession: in this thread (`workers: 0`) or on a media worker
 * pool. Both reject a session that cannot bind its port (EADDRINUSE …) and release its lease.
 *
 *   const sessions = createMediaSessionFactory({ workers: config.media.workers, logger });
 *   const session = await sessions.create({ lease, negotiated, localAddress, logger: callLog, id });
 *   …
 *   await sessions.close();   // on shutdown: terminates the worker threads
 */
import { availableParallelism } from 'node:os';
import type { Logger } from '../../log.js';
import { createMediaSession } from '../session/session.js';
import type { MediaSession, MediaSessionOptions } from '../session/types.js';
import { datagramBinder, setDatagramIoMode, type DatagramIoKind, type DatagramIoMode } from '../udp/index.js';
import { MediaWorkerPool } from './pool.js';

export interface MediaSessionFactory {
  /** Worker threads behind this factory (0 = sessions run in the calling thread). */
  readonly workers: number;
  /** The pool behind a pooled factory (operators, tests). */
  readonly pool?: MediaWorkerPool;
  /** The UDP layer this thread's media sockets use (the workers use the same, media.udp). */
  readonly udp: DatagramIoKind;
  create(options: MediaSessionOptions): Promise<MediaSession>;
  /** Resolves once every worker thread has loaded and can take sessions at once. */
  ready(): Promise<void>;
  /** Terminates the worker threads (sessions left are closed first). Idempotent. */
  close(): Promise<void>;
}

/** `media.workers`: a count, or 'auto' = one per available core when there is more than one, else 0. */
export function resolveMediaWorkers(setting: number | 'auto', cores = availableParallelism()): number {
  if (setting === 'auto') return cores > 1 ? cores : 0;
  return Math.max(0, Math.floor(setting));
}

export function inProcessMediaSessions(): MediaSessionFactory {
  return {
    workers: 0,
    get udp() { return datagramBinder().kind; },
    async create(options) {
      try {
        return await createMediaSession(options);
      } catch (err) {
        options.lease.release();
        throw err;
      }
    },
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

export function pooledMediaSessions(pool: MediaWorkerPool): MediaSessionFactory {
  return {
    workers: pool.size,
    pool,
    get udp() { return datagramBinder().kind; },
    create: (options) => pool.create(options),
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}

export interface MediaSessionFactoryOptions {
  /** `media.workers`: a count or 'auto' (resolveMediaWorkers). */
  workers: number | 'auto';
  logger?: Logger | undefined;
  /** The worker threads' nice value (pool.ts, default −10), null = leave as is. */
  nice?: number | null | undefined;
  /** The worker threads' SCHED_RR priority (pool.ts, default 10), null = nice only. */
  realtime?: number | null | undefined;
  /**
   * `media.udp`: the UDP layer for media sockets, chosen here for this thread and handed to the
   * worker threads in their workerData (default 'auto'). Throws DatagramIoError for 'native' when
   * the addon is not built — a start error, not a call error.
   */
  udp?: DatagramIoMode | undefined;
}

export function createMediaSessionFactory(options: MediaSessionFactoryOptions): MediaSessionFactory {
  setDatagramIoMode(options.udp ?? 'auto');
  const n = resolveMediaWorkers(options.workers);
  if (n === 0) return inProcessMediaSessions();
  return pooledMediaSessions(new MediaWorkerPool({ workers: n, ...(options.logger ? { logger: options.logger } : {}), ...(options.nice !== undefined ? { nice: options.nice } : {}), ...(options.realtime !== undefined ? { realtime: options.realtime } : {}) }));
}
