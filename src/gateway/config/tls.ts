/**
 * The certificate files of TLS listeners (config `sip.listen[i].cert/key/ca`) and of the client
 * side (`sip.tls_client.ca/cert/key`), read and checked at start: a file that cannot be read, a
 * PEM that does not parse or a key that does not match the certificate is a ConfigError naming
 * the field (the start command exits with 2), never a listener that fails on the first handshake
 * or a leg that fails on its first connection.
 */
import { X509Certificate } from 'node:crypto';
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

/** `sip.tls_client` with its files read: what the SIP stack's TLS client is given. */
export interface ClientTls {
  verifyServer: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** `sip.tls_client`: reads and checks `ca` (at least one certificate, each parsable) and the `cert`/`key` pair. */
export function readClientTls(config: GatewayConfig, file: string): ClientTls {
  const c = config.sip.tls_client;
  const fail = (field: 'ca' | 'cert' | 'key', reason: string): never => {
    throw new ConfigError('CONFIG_INVALID', file, [{ path: `sip.tls_client.${field}`, reason }]);
  };
  const read = (field: 'ca' | 'cert' | 'key', path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      return fail(field, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  const out: ClientTls = { verifyServer: c.verify_server };
  if (c.ca) {
    const ca = read('ca', c.ca);
    // createSecureContext takes a file without any certificate silently: trusting nothing new.
    const blocks = ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) fail('ca', `no PEM certificate (-----BEGIN CERTIFICATE-----) in ${c.ca}`);
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        fail('ca', `certificate ${i + 1} of ${c.ca} does not parse: ${(err as Error).message}`);
      }
    }
    out.ca = ca;
  }
  if (c.cert && c.key) {
    const material = { cert: read('cert', c.cert), key: read('key', c.key) };
    try {
      createSecureContext(material);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      fail(/KEY|PRIVATE/i.test(code) ? 'key' : 'cert', `TLS client certificate or key not usable: ${(err as Error).message}`);
    }
    Object.assign(out, material);
  }
  return out;
}
