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
import { MediaWorkerPool } from './pool.js';

export interface MediaSessionFactory {
  /** Worker threads behind this factory (0 = sessions run in the calling thread). */
  readonly workers: number;
  /** The pool behind a pooled factory (operators, tests). */
  readonly pool?: MediaWorkerPool;
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
    create: (options) => pool.create(options),
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}

/** `nice`: the worker threads' nice value (pool.ts, default −10), null = leave as is. */
export function createMediaSessionFactory(options: { workers: number | 'auto'; logger?: Logger; nice?: number | null }): MediaSessionFactory {
  const n = resolveMediaWorkers(options.workers);
  if (n === 0) return inProcessMediaSessions();
  return pooledMediaSessions(new MediaWorkerPool({ workers: n, ...(options.logger ? { logger: options.logger } : {}), ...(options.nice !== undefined ? { nice: options.nice } : {}) }));
}
