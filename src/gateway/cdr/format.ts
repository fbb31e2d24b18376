/** A CDR row as JSON (the webhook's payload, `trunkgate cdr --format json`) and as CSV. */
import type { CdrRow } from './store.js';

/** The row with `end_record` parsed (the call_end fields) and `webhook` left out (delivery bookkeeping). */
export function cdrJson(row: CdrRow): Record<string, unknown> {
  const { end_record, webhook: _webhook, ...rest } = row;
  let end: unknown = null;
  if (end_record) {
    try { end = JSON.parse(end_record); } catch { end = end_record; }
  }
  return { ...rest, end_record: end };
}

/** The table's columns but end_record and webhook, in table order: the CSV header. */
export const CSV_COLUMNS = [
  'id', 'sip_call_id', 'instance', 'direction', 'state', 'trunk', 'from_number', 'to_number', 'dialled', 'agent', 'source', 'codec',
  'invite_at', 'answer_at', 'end_at', 'setup_ms', 'duration_ms', 'sip_status', 'hangup_by', 'hangup_reason', 'transfer_result', 'transfers',
  'packets_in', 'packets_out', 'packets_lost', 'jitter_ms', 'late_frames', 'dtmf_in', 'rtt_ms', 'remote_packets_lost',
  'input_tokens', 'output_tokens', 'total_tokens',
] as const satisfies readonly (keyof CdrRow)[];

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; NULL is empty. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

export function csvRow(row: CdrRow): string {
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',');
}
