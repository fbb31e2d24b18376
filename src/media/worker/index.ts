/** MediaSessions on worker threads: the pool, the main-thread proxy and the session factory. */
export { MediaWorkerPool } from './pool.js';
export type { MediaWorkerPoolOptions, MediaWorkerInfo } from './pool.js';
export { RemoteMediaSession } from './remote-session.js';
export { MediaWorkerError } from './errors.js';
export { createMediaSessionFactory, inProcessMediaSessions, pooledMediaSessions, resolveMediaWorkers } from './factory.js';
export type { MediaSessionFactory, MediaSessionFactoryOptions } from './factory.js';
