import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a SIPp scenario to a temp folder and returns its path. */
export function scenarioFile(name: string, xml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-scn-'));
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

export interface InviteOptions {
  /** SDP m= payload list and rtpmaps (default PCMU + telephone-event 101). */
  sdpMedia?: string;
  extraHeaders?: string;
  /** Request-URI user (default [service]). */
  user?: string;
}

export function sdp(media = 'm=audio [media_port] RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16\na=ptime:20', direction = 'sendrecv', version = 1): string {
  return `v=0
o=user1 53655765 ${version} IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
${media}
a=${direction}`;
}

export function invite(o: InviteOptions = {}, body = sdp(o.sdpMedia)): string {
  return `  <send retrans="500">
    <![CDATA[
      INVITE sip:${o.user ?? '[service]'}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${o.user ?? '[service]'}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
${o.extraHeaders ? o.extraHeaders.split('\n').map((l) => `      ${l}`).join('\n') + '\n' : ''}      Content-Type: application/sdp
      Content-Length: [len]

${body.split('\n').map((l) => `      ${l}`).join('\n')}
    ]]>
  </send>
`;
}

export const expectAnswer = `  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;

export function inDialog(method: string, cseq: number, body?: string, extraHeaders = ''): string {
  return `  <send retrans="500">
    <![CDATA[
      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
${extraHeaders ? extraHeaders.split('\n').map((l) => `      ${l}`).join('\n') + '\n' : ''}${body ? '      Content-Type: application/sdp\n' : ''}      Content-Length: [len]
${body ? '\n' + body.split('\n').map((l) => `      ${l}`).join('\n') : ''}
    ]]>
  </send>
`;
}

export function ackFor(cseq: number): string {
  return `  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;
}

export const byeFromCaller = (cseq = 2): string => `${inDialog('BYE', cseq)}  <recv response="200" crlf="true"/>
`;

export const byeFromGateway = `  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
`;

export function scenario(name: string, body: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}
</scenario>
`;
}

export const pause = (ms: number): string => `  <pause milliseconds="${ms}"/>\n`;

/**
 * The ACK a UAC sends for a non-2xx final response: the same branch as the INVITE (RFC 3261
 * §17.1.1.3), which SIPp names by counting scenario steps back (`[branch-N]`).
 */
export function ackForNonSuccess(stepsBack: number): string {
  return `  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-${stepsBack}]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;
}
