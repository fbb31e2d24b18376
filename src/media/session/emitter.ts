import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.js';

type EventMap<E> = { [K in keyof E]: unknown[] };

/**
 * An EventEmitter typed by a map of event tuples (mediasoup's EnhancedEventEmitter idea):
 * `safeEmit` contains a listener's throw so one faulty consumer cannot break the media path.
 */
export class TypedEmitter<E extends EventMap<E>> extends EventEmitter {
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    super();
    this.setMaxListeners(Infinity);
    this.#logger = logger;
  }

  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return super.emit(event, ...args);
    } catch (err) {
      this.#logger?.error({ err, event }, 'media event listener threw');
      return true;
    }
  }

  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}
