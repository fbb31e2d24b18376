import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';
import { parseMessage } from '../src/sip/index.js';
import { PortAllocator } from '../src/media/ports.js';

describe('errors: one base class, a stable code per family, exported from the package root', () => {
  const families = Object.entries(root).filter(([name, v]) => typeof v === 'function' && name.endsWith('Error') && name !== 'TrunkgateError');

  it('every error class the root exports derives from TrunkgateError', () => {
    expect(families.length).toBeGreaterThanOrEqual(26);
    for (const [name, cls] of families) expect((cls as { prototype: object }).prototype instanceof root.TrunkgateError, name).toBe(true);
  });

  it('a thrown error is instanceof its family and TrunkgateError, named after its class, with its code', () => {
    let thrown: unknown;
    try { parseMessage(Buffer.from('not sip\r\n\r\n')); } catch (err) { thrown = err; }
    expect(thrown).toBeInstanceOf(root.SipParseError);
    expect(thrown).toBeInstanceOf(root.TrunkgateError);
    expect((thrown as root.SipParseError).name).toBe('SipParseError');
    expect(typeof (thrown as root.SipParseError).code).toBe('string');

    const ports = new PortAllocator({ min: 40000, max: 40001 });
    ports.allocate();
    expect(() => ports.allocate()).toThrow(expect.objectContaining({ code: 'MEDIA_PORTS_EXHAUSTED', name: 'PortExhaustedError' }));
    expect(() => new PortAllocator({ min: 40001, max: 40001 })).toThrow(root.InvalidPortRangeError);
  });

  it('codes are kept as they were (callers and logs switch on them)', () => {
    expect(new root.ConfigError('CONFIG_INVALID', 'f.yaml', []).code).toBe('CONFIG_INVALID');
    expect(new root.CallStateError('ended', 'answered').code).toBe('CALL_STATE');
    expect(new root.DatagramIoError('x').code).toBe('MEDIA_UDP_NATIVE_UNAVAILABLE');
    expect(new root.NoCommonCodecError(['G729'], ['PCMU'])).toMatchObject({ code: 'MEDIA_NO_COMMON_CODEC', status: 488, name: 'NoCommonCodecError' });
    expect(new root.NoCommonCodecError([], [])).toBeInstanceOf(root.SdpError);
  });
});
