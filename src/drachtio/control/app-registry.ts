import type { AppConnection } from './app-connection.js';

/**
 * Which application wants which requests (drachtio `route|<verb>`, verbs are lower-case method
 * names or `cdr:attempt|start|stop`). Applications registered for the same verb are chosen round
 * robin, as drachtio-server's ClientController::selectClientForRequestOutsideDialog does.
 */
export class AppRegistry {
  #routes = new Map<string, AppConnection[]>();
  #offsets = new Map<string, number>();

  add(conn: AppConnection, verb: string): void {
    const key = verb.toLowerCase();
    const list = this.#routes.get(key) ?? [];
    if (!list.includes(conn)) list.push(conn);
    this.#routes.set(key, list);
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
