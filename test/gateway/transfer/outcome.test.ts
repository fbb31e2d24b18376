import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resultForStatus, warningText } from '../../../src/gateway/transfer/outcome.js';

describe('resultForStatus (a human leg\'s or a sipfrag\'s final status as a transfer outcome)', () => {
  it.each([
    [200, 'transferred'], [202, 'transferred'],
    [486, 'busy'], [600, 'busy'],
    [408, 'no_answer'], [480, 'no_answer'], [487, 'no_answer'],
    [403, 'rejected'], [404, 'rejected'], [603, 'rejected'], [302, 'rejected'],
    [500, 'failed'], [503, 'failed'],
  ] as const)('%i → %s', (status, result) => {
    expect(resultForStatus(status)).toBe(result);
  });

  it('only a 2xx is a transfer; every other final status is one of the failure results (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 200, max: 699 }), (status) => {
      const r = resultForStatus(status);
      if (status < 300) expect(r).toBe('transferred');
      else expect(['busy', 'no_answer', 'rejected', 'failed']).toContain(r);
    }));
  });

  it('a 5xx is the far side failing, never a person declining (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 500, max: 599 }), (status) => {
      expect(resultForStatus(status)).toBe('failed');
    }));
  });
});

describe('warningText (the Warning of a failure response, RFC 3261 §20.43)', () => {
  const failure = (warning: string | undefined): unknown => ({ status: 503, res: { get: (name: string) => (name === 'Warning' ? warning : undefined) } });

  it('reads the quoted text, unescaping quoted pairs', () => {
    expect(warningText(failure('399 trunkgate "TLS certificate of pbx.example.com (192.0.2.1:5061) not verified: CERT_HAS_EXPIRED"')))
      .toBe('TLS certificate of pbx.example.com (192.0.2.1:5061) not verified: CERT_HAS_EXPIRED');
    expect(warningText(failure('399 trunkgate "a \\"quoted\\" word"'))).toBe('a "quoted" word');
  });

  it('is undefined without a Warning, for a malformed one, or for an error without a response', () => {
    expect(warningText(failure(undefined))).toBeUndefined();
    expect(warningText(failure('not a warning'))).toBeUndefined();
    expect(warningText(new Error('x'))).toBeUndefined();
    expect(warningText(undefined)).toBeUndefined();
  });
});
