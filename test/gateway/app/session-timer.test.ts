import { afterEach, describe, expect, it, vi } from 'vitest';
import { decideSessionTimer, parseSessionExpires, SessionTimer } from '../../../src/gateway/app/session-timer.js';

const cfg = { enabled: true, sessionExpires: 1800, minSe: 90 };

describe('RFC 4028 session timer negotiation (UAS)', () => {
  it('parses delta-seconds and the refresher parameter', () => {
    expect(parseSessionExpires('300;refresher=uac')).toEqual({ interval: 300, refresher: 'uac' });
    expect(parseSessionExpires('x')).toBeUndefined();
  });
  it('§9: answers 422 with our Min-SE when the request asks for less', () => {
    expect(decideSessionTimer({ sessionExpires: '60', supported: 'timer' }, cfg)).toEqual({ kind: 'too-small', minSe: 90 });
  });
  it('keeps the refresher the UAC chose and requires timer when the UAC supports it', () => {
    const d = decideSessionTimer({ sessionExpires: '600;refresher=uac', supported: 'timer' }, cfg);
    expect(d).toMatchObject({ kind: 'on', interval: 600, refresher: 'uac', headers: { 'Session-Expires': '600;refresher=uac', Require: 'timer' } });
  });
  it('refreshes itself (uas) when the UAC does not support timers, without Require', () => {
    const d = decideSessionTimer({}, cfg);
    expect(d).toMatchObject({ kind: 'on', interval: 1800, refresher: 'uas' });
    expect(d.kind === 'on' && d.headers.Require).toBeFalsy();
  });
  it('never goes below the Min-SE of the request', () => {
    expect(decideSessionTimer({ minSe: '1200', supported: 'timer' }, { ...cfg, sessionExpires: 900 })).toMatchObject({ interval: 1200 });
  });
  it('is off when disabled and the UAC asked for nothing', () => {
    expect(decideSessionTimer({}, { ...cfg, enabled: false })).toEqual({ kind: 'off' });
  });
});

describe('SessionTimer', () => {
  afterEach(() => { vi.useRealTimers(); });
  it('as refresher, refreshes at half the interval and again after each success', async () => {
    vi.useFakeTimers();
    const refresh = vi.fn(() => Promise.resolve());
    const expire = vi.fn();
    const t = new SessionTimer({ refresh, expire });
    t.restart({ kind: 'on', interval: 10, refresher: 'uas', headers: {} });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(expire).not.toHaveBeenCalled();
    t.stop();
  });
  it('ends the session when a refresh fails', async () => {
    vi.useFakeTimers();
    const expire = vi.fn();
    const t = new SessionTimer({ refresh: () => Promise.reject(new Error('408')), expire });
    t.restart({ kind: 'on', interval: 10, refresher: 'uas', headers: {} });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(expire).toHaveBeenCalledTimes(1);
  });
  it('§10: when the peer refreshes, expires at interval − min(32, interval/3) without one', async () => {
    vi.useFakeTimers();
    const expire = vi.fn();
    const t = new SessionTimer({ refresh: () => Promise.resolve(), expire });
    t.restart({ kind: 'on', interval: 90, refresher: 'uac', headers: {} });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(expire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(expire).toHaveBeenCalledTimes(1);
  });
});
