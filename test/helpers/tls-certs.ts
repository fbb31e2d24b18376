/**
 * Certificates for TLS tests, made with the openssl CLI (OpenSSL 3: `req -x509 -CA` issues a leaf
 * directly): a test CA, and leaves it signs for the subjectAltNames a test needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate (what a client trusts). */
  cert: string;
  key: string;
}

export interface TestCert {
  cert: string;
  key: string;
  /** Certificate then key in one file (baresip's sip_certificate). */
  pem: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];

/** A fresh CA in a new directory under .tmp/. */
export function makeTestCa(prefix = 'tls-ca-'): TestCa {
  mkdirSync(resolve('.tmp'), { recursive: true });
  const dir = mkdtempSync(join(resolve('.tmp'), prefix));
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca-key.pem');
  execFileSync('openssl', ['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-subj', '/CN=trunkgate test CA'], { stdio: 'ignore' });
  return { dir, cert, key };
}

/**
 * A leaf certificate named `name` (its file names and CN) with `san` as its subjectAltName
 * (e.g. `IP:127.0.0.1`, `DNS:localhost`, `URI:sip:carrier.example`), signed by `ca`, or
 * self-signed when `ca` is undefined.
 */
export function issueCert(ca: TestCa | undefined, dir: string, name: string, san: string): TestCert {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-subj', `/CN=${name}`,
    ...(ca ? ['-CA', ca.cert, '-CAkey', ca.key, '-addext', 'basicConstraints=critical,CA:FALSE'] : []),
    '-addext', `subjectAltName=${san}`], { stdio: 'ignore' });
  const pem = join(dir, `${name}-combined.pem`);
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, pem };
}
