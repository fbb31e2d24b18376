/**
 * Scanner detection by User-Agent. SIP scanners (sipvicious "friendly-scanner", sipcli, sip-scan,
 * VaxSIPUserAgent, pplsip, iWar, sundayddr …) identify themselves; we sniff the header straight
 * from the raw datagram, before any parsing, so a flood of probes costs almost nothing.
 */

export const DEFAULT_SCANNER_USER_AGENTS = [
  'friendly-scanner', 'sipvicious', 'sipcli', 'sip-scan', 'sipsak', 'vaxsipuseragent', 'pplsip',
  'iwar', 'sundayddr', 'smap', 'sipscan', 'svcrack', 'svwar', 'nessus', 'sip-cli', 'voipbuster',
];

/** Only the header section is examined, and at most this many bytes of it. */
const SNIFF_LIMIT = 4096;

/**
 * The User-Agent value from raw SIP bytes, or undefined. RFC 3261 §7.3.1: header names are
 * case-insensitive; User-Agent has no compact form. Folded continuation lines are not joined
 * (scanners do not fold).
 */
export function sniffUserAgent(raw: Buffer): string | undefined {
  const head = raw.subarray(0, SNIFF_LIMIT).toString('latin1');
  const end = head.indexOf('\r\n\r\n');
  const headers = end >= 0 ? head.slice(0, end) : head;
  const m = /(?:^|\r?\n)user-agent[ \t]*:[ \t]*([^\r\n]*)/i.exec(headers);
  return m ? m[1]!.trim() : undefined;
}

export class ScannerDetector {
  readonly #needles: string[];
  constructor(extra: string[] = []) {
    this.#needles = [...DEFAULT_SCANNER_USER_AGENTS, ...extra].map((s) => s.toLowerCase());
  }
  /** The matching needle if this User-Agent belongs to a known scanner. */
  match(userAgent: string | undefined): string | undefined {
    if (!userAgent) return undefined;
    const ua = userAgent.toLowerCase();
    return this.#needles.find((n) => ua.includes(n));
  }
  isScanner(raw: Buffer): boolean {
    return this.match(sniffUserAgent(raw)) !== undefined;
  }
}
