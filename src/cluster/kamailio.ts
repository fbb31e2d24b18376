/**
 * Kamailio as the cluster's dispatcher, a child process in the foreground: started with the
 * values of a KamailioPlan, ready when its UDP port is bound, and watched for the dispatcher's
 * dst-down / dst-up events (the event_routes of sip-configs/kamailio/kamailio.cfg log them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startChild, waitForPort, type Child } from '../loadtest/child.js';
import { REPO_ROOT } from '../loadtest/peers.js';
import { dispatcherList, kamailioArgs, type InstancePlan, type KamailioPlan } from './plan.js';

export const KAMAILIO_CFG = join(REPO_ROOT, 'sip-configs', 'kamailio', 'kamailio.cfg');

export interface DispatcherEvent {
  kind: 'dst-down' | 'dst-up';
  /** The destination, e.g. sip:127.0.0.1:5071. */
  uri: string;
  /** Date.now() when the line arrived. */
  at: number;
}

export interface RunningKamailio {
  child: Child;
  port: number;
  events: DispatcherEvent[];
  /** Resolves with the first event of this kind for `uri` at or after `since` (ms). */
  waitForEvent(kind: DispatcherEvent['kind'], uri: string, since: number, timeoutMs: number): Promise<DispatcherEvent>;
  stop(): Promise<void>;
}

export async function startKamailio(o: { workDir: string; plan: KamailioPlan; instances: readonly InstancePlan[]; command?: string }): Promise<RunningKamailio> {
  const runDir = join(o.workDir, 'kamailio-run');
  mkdirSync(runDir, { recursive: true });
  const listPath = join(o.workDir, 'dispatcher.list');
  writeFileSync(listPath, dispatcherList(o.instances));
  const child = startChild(o.command ?? 'kamailio', kamailioArgs(KAMAILIO_CFG, listPath, runDir, o.plan), { name: 'kamailio', cwd: o.workDir, detached: true });
  const events: DispatcherEvent[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.proc.stderr! }).on('line', (line) => {
    const m = /DS_EVENT (dst-down|dst-up) (\S+)/.exec(line);
    if (!m) return;
    events.push({ kind: m[1] as DispatcherEvent['kind'], uri: m[2]!, at: Date.now() });
    for (const w of waiters) w();
  });
  await waitForPort(child, o.plan.port, 10_000, 'kamailio');
  return {
    child, port: o.plan.port, events,
    waitForEvent(kind, uri, since, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const e = events.find((x) => x.kind === kind && x.uri === uri && x.at >= since);
          if (!e) return false;
          waiters.delete(onLine);
          clearTimeout(timer);
          resolve(e);
          return true;
        };
        const onLine = (): void => { check(); };
        const timer = setTimeout(() => { waiters.delete(onLine); reject(new Error(`kamailio: no ${kind} for ${uri} within ${timeoutMs} ms`)); }, timeoutMs);
        waiters.add(onLine);
        check();
      });
    },
    stop: () => stopGroup(child),
  };
}

/**
 * Kamailio forks its workers: SIGTERM to its process group (it was started as the group's
 * leader), SIGKILL to the group after 10 s, and to any worker that outlived the main process.
 */
async function stopGroup(child: Child): Promise<void> {
  const signal = (s: NodeJS.Signals): void => {
    try { process.kill(-child.pid, s); } catch { /* the group is gone */ }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
  signal('SIGKILL');
}
