import type { AppConnection } from './app-connection.js';

/**
 * Which application wants which requests (drachtio `route|<verb>`, verbs are lower-case method
 * names or `cdr:attempt|start|stop`). Applications registered for the same verb are chosen round
 * robin, as drachtio-server's ClientController::selectClientForRequestOutsideDialog does.
 */
export class AppRegistry {
  #routes = new Map<string, AppConnection[]>();
  #offsets = new Map<string, number>();
  #waiters: { verbs: string[]; resolve: () => void }[] = [];

  add(conn: AppConnection, verb: string): void {
    const key = verb.toLowerCase();
    const list = this.#routes.get(key) ?? [];
    if (!list.includes(conn)) list.push(conn);
    this.#routes.set(key, list);
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.#routesAll(w.verbs)) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once some application routes each of `verbs`. */
  whenRouted(verbs: readonly string[]): Promise<void> {
    const keys = verbs.map((v) => v.toLowerCase());
    if (this.#routesAll(keys)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ verbs: keys, resolve }));
  }

  #routesAll(keys: readonly string[]): boolean {
    return keys.every((k) => this.all(k).length > 0);
  }

  remove(conn: AppConnection, verb: string): void {
    const key = verb.toLowerCase();
    const list = (this.#routes.get(key) ?? []).filter((c) => c !== conn);
    if (list.length) this.#routes.set(key, list); else this.#routes.delete(key);
  }

  removeApp(conn: AppConnection): void {
    for (const verb of [...this.#routes.keys()]) this.remove(conn, verb);
  }

  /** The next application for a method (round robin), or undefined if none registered for it. */
  select(method: string): AppConnection | undefined {
    const key = method.toLowerCase();
    const list = (this.#routes.get(key) ?? []).filter((c) => !c.closed);
    if (!list.length) return undefined;
    const offset = (this.#offsets.get(key) ?? 0) % list.length;
    this.#offsets.set(key, offset + 1);
    return list[offset];
  }

  /** Every application registered for a verb (CDR events go to all of them). */
  all(verb: string): AppConnection[] {
    return (this.#routes.get(verb.toLowerCase()) ?? []).filter((c) => !c.closed);
  }
}
