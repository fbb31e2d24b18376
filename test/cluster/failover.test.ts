/**
 * Losing an instance under load, with real Kamailio, two trunkgate instances and SIPp (PCMU audio)
 * on 127.0.0.1. One cluster, in order: kill -9 of tg-1 during a load (its live calls are lost and
 * counted; the dispatcher takes it out; calls after that all succeed on tg-2), its restart (the
 * dispatcher takes it back), and SIGTERM of tg-1 during a load (drain: 0 failed calls, its live
 * calls finish, new ones go to tg-2). The detection window and the calls lost are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type ClusterInstance } from '../../src/cluster/run.js';
import { outcome, startLoad } from './load.js';

type Rec = Record<string, unknown>;

describe('an instance that dies or is stopped under load', () => {
  let cluster: Cluster;
  let workDir: string;
  const logs = new Map<string, Rec[]>([['tg-1', []], ['tg-2', []]]);
  const events = (id: string, event: string, since = 0): Rec[] => logs.get(id)!.slice(since).filter((r) => r.event === event);
  let a: ClusterInstance;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'cluster-failover-'));
    cluster = await startCluster({
      instances: 2, workDir, agent: 'echo', mediaPorts: 400,
      onLogRecord: (instance, rec) => logs.get(instance)!.push(rec),
    });
    a = cluster.instances[0]!;
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('kill -9: the calls on it end (counted), the dispatcher takes it out, and every call after that succeeds on the other instance', async () => {
    const load = await startLoad(cluster, workDir, { calls: 120, rate: 20, durationMs: 3000 });
    await expect.poll(() => events('tg-1', 'call_answered').length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(15);
    const liveOnA = events('tg-1', 'call_answered').length - events('tg-1', 'call_end').length;
    const killedAt = Date.now();
    await a.kill();
    const down = await cluster.kamailio.waitForEvent('dst-down', a.uri, killedAt, 30_000);
    const window = down.at - killedAt;

    const endsOnB = events('tg-2', 'call_end').length;
    const after = await (await startLoad(cluster, workDir, { calls: 60, rate: 20, durationMs: 1000 })).done;
    expect(outcome(after)).toEqual({ successful: 60, failed: 0 });
    const during = outcome(await load.done);
    console.info(`kill -9 of tg-1: ${liveOnA} calls live on it, ${during.failed} of 120 lost, detection window ${window} ms`);
    expect(during.successful + during.failed).toBe(120);
    // Only calls that were on tg-1 are lost: a new call sent there before the detection fails over.
    expect(during.failed).toBeLessThanOrEqual(liveOnA);
    // Every call after the detection was taken by tg-2.
    await expect.poll(() => events('tg-2', 'call_end').length - endsOnB, { timeout: 15_000 }).toBeGreaterThanOrEqual(60);
  });

  it('restarted, it rejoins: the dispatcher takes it back and it gets calls again', async () => {
    const since = logs.get('tg-1')!.length;
    const restartedAt = Date.now();
    await a.restart();
    const up = await cluster.kamailio.waitForEvent('dst-up', a.uri, restartedAt, 30_000);
    console.info(`tg-1 restarted: back in the dispatcher after ${up.at - restartedAt} ms`);
    const r = await (await startLoad(cluster, workDir, { calls: 40, rate: 20, durationMs: 500 })).done;
    expect(outcome(r)).toEqual({ successful: 40, failed: 0 });
    await expect.poll(() => events('tg-1', 'call_end', since).length, { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('SIGTERM: 0 failed calls, its live calls finish, new calls go to the other instance', async () => {
    const since = logs.get('tg-1')!.length;
    const load = await startLoad(cluster, workDir, { calls: 120, rate: 20, durationMs: 3000 });
    await expect.poll(() => events('tg-1', 'call_answered', since).length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(15);
    const exit = a.terminate();
    const r = await load.done;
    if (r.errorLines) console.warn(r.errorsExcerpt);
    expect(outcome(r)).toEqual({ successful: 120, failed: 0 });
    expect(await exit).toBe(0);

    const recs = logs.get('tg-1')!.slice(since);
    const stopping = recs.findIndex((x) => typeof x.msg === 'string' && x.msg.startsWith('stopping'));
    expect(stopping).toBeGreaterThan(-1);
    const answeredBefore = recs.slice(0, stopping).filter((x) => x.event === 'call_answered').map((x) => x.callId);
    const ends = recs.filter((x) => x.event === 'call_end');
    console.info(`SIGTERM of tg-1: ${answeredBefore.length} calls on it finished, ${recs.slice(stopping).filter((x) => x.event === 'call_refused').length} new calls refused (503) and re-sent to tg-2`);
    // Its live calls all ended by the caller's BYE, none cut by the grace period …
    for (const id of answeredBefore) {
      const end = ends.find((e) => e.callId === id);
      expect(end?.hangupBy).toBe('caller');
    }
    // … and it answered nothing after the signal.
    expect(recs.slice(stopping).filter((x) => x.event === 'call_answered')).toEqual([]);
  });
});
