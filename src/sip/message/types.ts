/**
 * The SIP message model (RFC 3261 §7). Every layer of trunkgate codes against these types.
 *
 * Headers are kept as an ordered list of raw values so a message re-serializes byte-accurately;
 * typed views (Via, NameAddr, CSeq …) are parsed on demand by the functions in ./headers.ts.
 */

export type SipMethod =
  | 'INVITE' | 'ACK' | 'BYE' | 'CANCEL' | 'OPTIONS' | 'REGISTER' | 'PRACK' | 'SUBSCRIBE'
  | 'NOTIFY' | 'PUBLISH' | 'INFO' | 'REFER' | 'MESSAGE' | 'UPDATE' | (string & {});

/** Generic parameters (`;name=value` or `;name`): a valueless parameter maps to null. Names are lower-cased. */
export type Params = Record<string, string | null>;

/** RFC 3261 §19.1 SIP/SIPS URI; `tel:` (RFC 3966) and other schemes keep their text in `opaque`. */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel' | (string & {});
  user?: string;
  password?: string;
  /** Host as written, IPv6 references keep their brackets: `[2001:db8::1]` (RFC 5118). */
  host: string;
  port?: number;
  params: Params;
  /** `?name=value&…` headers of the URI. */
  headers: Record<string, string>;
  /** For non-SIP schemes: everything after `scheme:`. */
  opaque?: string;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Refer-To …). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  params: Params;
}

/** RFC 3261 §20.42 Via. */
export interface Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-case transport token: UDP, TCP, TLS, SCTP, WS, WSS … */
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: SipMethod;
}

/** One header line: the name as it appeared (or was set) and its raw value. */
export interface HeaderField {
  name: string;
  value: string;
}

export interface SipRequestInit {
  method: SipMethod;
  uri: string;
  headers?: HeaderField[];
  body?: Buffer | string;
}

export interface SipResponseInit {
  status: number;
  reason?: string;
  headers?: HeaderField[];
  body?: Buffer | string;
}
