/**
 * Every figure of one bench run next to its value in an earlier one: reads two
 * bench/results/latest.json files (the earlier one typically `git show REV:bench/results/latest.json`)
 * and writes a markdown table per bench file: figure, unit, before, after, after ÷ before, with
 * each file's date and machine. Figures only one side has are listed as such, not dropped.
 *
 * Usage: npx tsx scripts/bench-compare.ts <before.json> <after.json> [out.md]   (stdout without out.md)
 *
 * The ratio says nothing about better or worse by itself: for calls/s higher is better, for
 * ms CPU/call lower is. The unit column says which.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Result { suite: string; name: string; value: number; unit: string }
interface FileRun { date: string; machine: Record<string, unknown>; results: Result[] }
type Results = Record<string, FileRun>;

function read(path: string): Results {
  return (JSON.parse(readFileSync(path, 'utf8')) as { files?: Results }).files ?? {};
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toPrecision(3);
}

function ratio(before: number | undefined, after: number | undefined): string {
  if (before === undefined || after === undefined || before === 0 || Number.isNaN(before) || Number.isNaN(after)) return '–';
  return `${(after / before).toFixed(2)}×`;
}

const day = (d: string | undefined): string => (d ? d.replace('T', ' ').slice(0, 16) + ' UTC' : 'not run');

export function compare(before: Results, after: Results): string {
  const out: string[] = [];
  const files = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const file of files) {
    const b = before[file];
    const a = after[file];
    out.push(`### ${file}`, '', `before: ${day(b?.date)} · after: ${day(a?.date)}`, '');
    out.push('| figure | unit | before | after | after ÷ before |', '|---|---|---:|---:|---:|');
    const key = (r: Result): string => `${r.suite}\u0000${r.name}`;
    const bm = new Map((b?.results ?? []).map((r) => [key(r), r]));
    const am = new Map((a?.results ?? []).map((r) => [key(r), r]));
    for (const k of [...new Set([...bm.keys(), ...am.keys()])]) {
      const rb = bm.get(k);
      const ra = am.get(k);
      const r = (ra ?? rb)!;
      out.push(`| ${r.name.replace(/\|/g, '\\|')} | ${r.unit} | ${fmt(rb?.value)} | ${fmt(ra?.value)} | ${ratio(rb?.value, ra?.value)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

const [beforePath, afterPath, outPath] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  process.stderr.write('usage: bench-compare <before.json> <after.json> [out.md]\n');
  process.exit(2);
}
const md = compare(read(beforePath), read(afterPath));
if (outPath) writeFileSync(outPath, md + '\n');
else process.stdout.write(md + '\n');
