import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referAllowed, referPermit } from '../../../src/gateway/transfer/accept-refer.js';

const trunk = { country_code: '91', national_prefix: '0' };
const targets = { desk: { uri: 'sip:desk@pbx.example.com:5070' }, sales: { uri: 'sip:sales@10.0.0.5;transport=tcp' } };

describe('referAllowed / referPermit (accept_refer.allow: target names, number patterns, SIP URI globs)', () => {
  it('nothing is allowed by default (the 403 that stops toll fraud)', () => {
    expect(referAllowed('<sip:desk@pbx.example.com:5070>', [], trunk, targets)).toBe(false);
    expect(referAllowed('<tel:+919876543210>', [], trunk, targets)).toBe(false);
  });

  it('a target name allows exactly its URI (angle brackets, URI parameters and headers aside)', () => {
    expect(referPermit('<sip:desk@pbx.example.com:5070>', ['desk'], trunk, targets)).toEqual({ kind: 'uri', uri: 'sip:desk@pbx.example.com:5070' });
    expect(referAllowed('<sip:DESK@pbx.example.com:5070;transport=udp?Replaces=x>', ['desk'], trunk, targets)).toBe(true);
    expect(referAllowed('<sip:sales@10.0.0.5>', ['sales'], trunk, targets)).toBe(true);
    expect(referAllowed('<sip:desk@pbx.example.com>', ['desk'], trunk, targets)).toBe(false);
    expect(referAllowed('<sip:desk@pbx.example.com:5070>', ['sales'], trunk, targets)).toBe(false);
  });

  it('a SIP URI glob allows the URIs it matches, as written; * does not cross @ or ;', () => {
    expect(referPermit('<sip:agent7@pbx.example.com>', ['sip:*@pbx.example.com'], trunk, targets)).toEqual({ kind: 'uri', uri: 'sip:agent7@pbx.example.com' });
    expect(referAllowed('<sip:agent7@evil.example;x=@pbx.example.com>', ['sip:*@pbx.example.com'], trunk, targets)).toBe(false);
    expect(referAllowed('<sip:a@b@pbx.example.com>', ['sip:*@pbx.example.com'], trunk, targets)).toBe(false);
    expect(referAllowed('<sip:agent7@pbx.example.com.evil.example>', ['sip:*@pbx.example.com'], trunk, targets)).toBe(false);
  });

  it('a number pattern allows numbers (tel: or a numeric user) and always dials them through the trunk', () => {
    expect(referPermit('<tel:+919876543210>', ['+9198*'], trunk, targets)).toEqual({ kind: 'number', number: '+919876543210' });
    expect(referPermit('<sip:09876543210@anywhere.example>', ['+9198*'], trunk, targets)).toEqual({ kind: 'number', number: '09876543210' });
    expect(referAllowed('<sip:+919776543210@anywhere.example>', ['+9198*'], trunk, targets)).toBe(false);
    expect(referAllowed('<sip:desk@anywhere.example>', ['*'], trunk, targets)).toBe(false);
  });

  it('no Refer-To at a random host is allowed by names and globs that do not name it (property)', () => {
    const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}\.(com|net|example)$/);
    const user = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/);
    fc.assert(fc.property(user, host, (u, h) => {
      fc.pre(h !== 'pbx.example.com');
      expect(referAllowed(`<sip:${u}@${h}>`, ['desk', 'sales', 'sip:*@pbx.example.com', '+9198*'], trunk, targets)).toBe(false);
    }));
  });

  it('a number pattern never lets the Refer-To choose where the call goes (property)', () => {
    const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}\.(com|net|example)$/);
    fc.assert(fc.property(fc.stringMatching(/^98\d{8}$/), host, (n, h) => {
      expect(referPermit(`<sip:+91${n}@${h}>`, ['+9198*'], trunk, targets)).toEqual({ kind: 'number', number: `+91${n}` });
    }));
  });
});
