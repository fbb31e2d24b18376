/**
 * The certificate files of TLS listeners (config `sip.listen[i].cert/key/ca`), read and checked at
 * start: a file that cannot be read, a PEM that does not parse or a key that does not match the
 * certificate is a ConfigError naming the field (the start command exits with 2), never a
 * listener that fails on the first handshake.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './load.js';
import type { GatewayConfig } from './schema.js';

export interface ListenerTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** For each listener: its PEM material when it is a tls listener, else undefined. */
export function readListenerTls(config: GatewayConfig, file: string): (ListenerTls | undefined)[] {
  return config.sip.listen.map((l, i) => {
    if (l.transport !== 'tls') return undefined;
    const read = (field: 'cert' | 'key' | 'ca', path: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (err) {
        throw new ConfigError('CONFIG_INVALID', file, [{ path: `sip.listen[${i}].${field}`, reason: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
      }
    };
    const material: ListenerTls = { cert: read('cert', l.cert!), key: read('key', l.key!), ...(l.ca ? { ca: read('ca', l.ca) } : {}) };
    try {
      createSecureContext(material);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const field = /KEY|PRIVATE/i.test(code) ? 'key' : code.includes('CA') ? 'ca' : 'cert';
      throw new ConfigError('CONFIG_INVALID', file, [{ path: `sip.listen[${i}].${field}`, reason: `TLS certificate or key not usable: ${(err as Error).message}` }]);
    }
    return material;
  });
}
