import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/gateway/config/load.js';
import { readClientTls, readListenerTls } from '../../../src/gateway/config/tls.js';
import { tlsClientOptions } from '../../../src/runtime/gateway-process.js';

const entry = fileURLToPath(new URL('../../../src/runtime/start-command.ts', import.meta.url));
let dir = '';
let cert = '';
let key = '';
let otherKey = '';

beforeAll(() => {
  mkdirSync(resolve('.tmp'), { recursive: true });
  dir = mkdtempSync(join(resolve('.tmp'), 'tls-cfg-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  otherKey = join(dir, 'other-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey], { stdio: 'ignore' });
});

function config(listener: Record<string, unknown>) {
  return validateConfig({
    sip: { listen: [{ address: '127.0.0.1', port: 5060, transport: 'udp' }, { address: '127.0.0.1', port: 5061, transport: 'tls', ...listener }] },
    trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }],
  });
}

function issuePaths(fn: () => unknown): string[] {
  try { fn(); } catch (err) { if (err instanceof ConfigError) return err.issues.map((i) => i.path); throw err; }
  return [];
}

describe('TLS listener configuration', () => {
  it('a tls listener without cert and key is invalid, naming both fields', () => {
    expect(issuePaths(() => config({}))).toEqual(['sip.listen[1].cert', 'sip.listen[1].key']);
  });

  it('cert/key on a udp listener are refused', () => {
    expect(issuePaths(() => validateConfig({
      sip: { listen: [{ address: '127.0.0.1', port: 5060, transport: 'udp', cert }] },
      trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }],
    }))).toEqual(['sip.listen[0].cert']);
  });

  it('reads the PEM files of tls listeners only', () => {
    const tls = readListenerTls(config({ cert, key }), 'x.yaml');
    expect(tls[0]).toBeUndefined();
    expect(tls[1]?.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('a missing certificate file is a ConfigError naming sip.listen[1].cert', () => {
    expect(issuePaths(() => readListenerTls(config({ cert: join(dir, 'nope.pem'), key }), 'x.yaml'))).toEqual(['sip.listen[1].cert']);
  });

  it('a key that does not match the certificate is a ConfigError naming sip.listen[1].key', () => {
    expect(issuePaths(() => readListenerTls(config({ cert, key: otherKey }), 'x.yaml'))).toEqual(['sip.listen[1].key']);
  });

  it('`trunkgate start` with a bad certificate path exits with 2 and names the field', async () => {
    const file = join(dir, 'bad-cert.yaml');
    writeFileSync(file, `sip:
  listen:
    - { address: 127.0.0.1, port: 5061, transport: tls, cert: ${join(dir, 'missing.pem')}, key: ${key} }
drachtio: { embedded: { host: 127.0.0.1, port: 0, secret: s } }
trunks:
  - name: t
    sources: [127.0.0.1/32]
    routes: [{ pattern: "*", agent: echo }]
`);
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(stderr).toContain('sip.listen[0].cert');
    expect(stderr).toContain('ENOENT');
  }, 40_000);
});

describe('sip.tls_client (outbound TLS) configuration', () => {
  function clientConfig(tlsClient: Record<string, unknown> | undefined, trunk: Record<string, unknown> = {}) {
    return validateConfig({
      sip: { listen: [{ address: '127.0.0.1', port: 5060, transport: 'udp' }], ...(tlsClient ? { tls_client: tlsClient } : {}) },
      trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }], ...trunk }],
    });
  }

  it('defaults to verify_server: true with no extra CA and no client certificate; trunks have no server_names', () => {
    const c = clientConfig(undefined);
    expect(c.sip.tls_client).toEqual({ verify_server: true });
    expect(c.trunks[0]!.tls.server_names).toEqual([]);
    expect(readClientTls(c, 'x.yaml')).toEqual({ verifyServer: true });
  });

  it('reads ca, cert and key', () => {
    const tls = readClientTls(clientConfig({ ca: cert, cert, key }), 'x.yaml');
    expect(tls.verifyServer).toBe(true);
    expect(tls.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls.cert?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls.key?.toString()).toContain('PRIVATE KEY');
  });

  it('cert without key (and key without cert) is invalid, naming the missing field', () => {
    expect(issuePaths(() => clientConfig({ cert }))).toEqual(['sip.tls_client.key']);
    expect(issuePaths(() => clientConfig({ key }))).toEqual(['sip.tls_client.cert']);
  });

  it('an unknown key under sip.tls_client is refused', () => {
    expect(issuePaths(() => clientConfig({ verify: false }))).toEqual(['sip.tls_client']);
  });

  it('a missing ca file is a ConfigError naming sip.tls_client.ca', () => {
    expect(issuePaths(() => readClientTls(clientConfig({ ca: join(dir, 'nope.pem') }), 'x.yaml'))).toEqual(['sip.tls_client.ca']);
  });

  it('a ca file without a certificate (a key, say) is a ConfigError naming sip.tls_client.ca', () => {
    expect(issuePaths(() => readClientTls(clientConfig({ ca: key }), 'x.yaml'))).toEqual(['sip.tls_client.ca']);
    const broken = join(dir, 'broken-ca.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(issuePaths(() => readClientTls(clientConfig({ ca: broken }), 'x.yaml'))).toEqual(['sip.tls_client.ca']);
  });

  it('a client key that does not match its certificate is a ConfigError naming sip.tls_client.key; a missing cert file names cert', () => {
    expect(issuePaths(() => readClientTls(clientConfig({ cert, key: otherKey }), 'x.yaml'))).toEqual(['sip.tls_client.key']);
    expect(issuePaths(() => readClientTls(clientConfig({ cert: join(dir, 'nope.pem'), key }), 'x.yaml'))).toEqual(['sip.tls_client.cert']);
  });

  it('the stack\'s TLS client: verify_server passed through; namesFor gives the server_names of the trunks whose sources hold the address', () => {
    const c = validateConfig({
      sip: { listen: [{ address: '127.0.0.1', port: 5060, transport: 'udp' }], tls_client: { verify_server: false } },
      trunks: [
        { name: 'a', sources: ['203.0.113.0/24'], routes: [{ pattern: '*', agent: 'echo' }], tls: { server_names: ['sbc.carrier.example'] } },
        { name: 'b', sources: ['198.51.100.7'], routes: [{ pattern: '*', agent: 'echo' }] },
      ],
    });
    const o = tlsClientOptions(c, readClientTls(c, 'x.yaml'));
    expect(o.verifyServer).toBe(false);
    expect(o.namesFor?.('203.0.113.9')).toEqual(['sbc.carrier.example']);
    expect(o.namesFor?.('198.51.100.7')).toEqual([]);
    expect(tlsClientOptions(clientConfig(undefined), { verifyServer: true }).namesFor).toBeUndefined();
  });
});
