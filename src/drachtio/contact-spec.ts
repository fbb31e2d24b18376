import type { ListenOptions, TransportProtocol } from '../sip/index.js';

/**
 * drachtio-server's `--contact` syntax: `sip:<host>[:port][;transport=udp,tcp]`. One contact may
 * name several transports (comma-separated), each becoming a listener on the same address/port.
 */
export function parseContactSpec(contact: string): ListenOptions[] {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?((?:;[^;]*)*)$/i.exec(contact.trim());
  if (!m) throw new Error(`invalid contact '${contact}': expected sip:host[:port][;transport=udp,tcp]`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const secure = /^sips:/i.test(contact);
  const port = m[2] ? Number(m[2]) : secure ? 5061 : 5060;
  const params = (m[3] ?? '').split(';').filter(Boolean);
  const transportParam = params.find((p) => p.toLowerCase().startsWith('transport='));
  const list = transportParam ? transportParam.slice('transport='.length).split(',') : [secure ? 'tls' : 'udp'];
  return list.map((t) => {
    const protocol = t.trim().toLowerCase();
    if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') {
      throw new Error(`unsupported transport '${t}' in contact '${contact}'`);
    }
    return { protocol: protocol as TransportProtocol, address: host, port };
  });
}

/** `udp/127.0.0.1:5090`: how drachtio-server names a transport (sip-transports.cpp getHostport). */
export function hostportOf(l: { protocol: string; address: string; port: number }): string {
  const host = l.address.includes(':') ? `[${l.address}]` : l.address;
  return `${l.protocol}/${host}:${l.port}`;
}
