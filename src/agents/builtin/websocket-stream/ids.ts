/** Twilio-style identifiers: a two-letter prefix and 32 hex digits (MZ… stream, CA… call, AC… account). */
import { randomBytes } from 'node:crypto';

export function twilioSid(prefix: 'MZ' | 'CA' | 'AC'): string {
  return prefix + randomBytes(16).toString('hex');
}
