/** Option tags on a message: Supported / Require (RFC 3261 §20.37 / §20.32) and the §8.2.2.3 check. */
import { describe, expect, it } from 'vitest';
import { SipRequest, hasOptionTag, optionTags, unsupportedRequired } from '../../../src/sip/message/index.js';

function request(headers: { name: string; value: string }[]): SipRequest {
  return new SipRequest({ method: 'INVITE', uri: 'sip:b@127.0.0.1', headers });
}

describe('option tags (Supported / Require, RFC 3261 §20.37 / §20.32)', () => {
  it('collects the tags of every header of the name, comma lists and repeated headers alike, lower-cased', () => {
    const r = request([{ name: 'Supported', value: 'timer, 100Rel' }, { name: 'k', value: 'replaces' }]);
    expect(optionTags(r.headers, 'supported')).toEqual(['timer', '100rel', 'replaces']);
    expect(hasOptionTag(r.headers, 'Supported', '100rel')).toBe(true);
    expect(hasOptionTag(r.headers, 'require', '100rel')).toBe(false);
  });

  it('§8.2.2.3: lists each required tag outside the supported set once', () => {
    const r = request([{ name: 'Require', value: '100rel, foo' }, { name: 'Require', value: 'bar,foo' }]);
    expect(unsupportedRequired(r.headers, ['100rel', 'timer'])).toEqual(['foo', 'bar']);
    expect(unsupportedRequired(r.headers, ['100REL', 'foo', 'bar'])).toEqual([]);
    expect(unsupportedRequired(request([]).headers, [])).toEqual([]);
  });
});
