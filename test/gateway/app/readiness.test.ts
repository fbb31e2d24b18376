import { describe, expect, it } from 'vitest';
import { readiness, type ReadinessInputs } from '../../../src/gateway/app/readiness.js';

function inputs(over: Partial<ReadinessInputs> & { calls?: Record<string, number> } = {}): ReadinessInputs {
  const calls = over.calls ?? {};
  return {
    draining: () => false,
    drachtioConnected: () => true,
    mediaUp: () => true,
    callsOnTrunk: (t) => calls[t] ?? 0,
    trunks: [{ name: 'a', max_calls: 2 }, { name: 'b', max_calls: 1 }],
    ...over,
  };
}

describe('readiness()', () => {
  it('is ready with the connection and media up, not draining and room on the trunks', () => {
    expect(readiness(inputs())).toEqual({ ready: true, reasons: [] });
    expect(readiness(inputs(), 'a')).toEqual({ ready: true, reasons: [] });
  });

  it('names every reason that holds: draining, drachtio_disconnected, media_down', () => {
    const r = readiness(inputs({ draining: () => true, drachtioConnected: () => false, mediaUp: () => false }));
    expect(r).toEqual({ ready: false, reasons: ['draining', 'drachtio_disconnected', 'media_down'] });
  });

  it('for one trunk: at_capacity once its calls reach max_calls, whatever the other trunk has', () => {
    expect(readiness(inputs({ calls: { b: 1 } }), 'b')).toEqual({ ready: false, reasons: ['at_capacity'] });
    expect(readiness(inputs({ calls: { b: 1 } }), 'a').ready).toBe(true);
    expect(readiness(inputs({ calls: { a: 1 } }), 'a').ready).toBe(true);
  });

  it('for the instance: at_capacity only when every trunk is full', () => {
    expect(readiness(inputs({ calls: { b: 1 } })).ready).toBe(true);
    expect(readiness(inputs({ calls: { a: 2, b: 1 } }))).toEqual({ ready: false, reasons: ['at_capacity'] });
  });
});
