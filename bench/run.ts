/**
 * `npm run bench`: runs every bench/**\/*.bench.ts (each exports `run(): Promise<BenchResult[]>`),
 * prints a table and writes bench/results/latest.json with the machine and date. Running a subset
 * (`node --max-semi-space-size=4 --import tsx bench/run.ts sip/parser`) replaces only that file's
 * entry in latest.json. `npm run bench` runs with the gateway's V8 flags (src/runtime/node-flags.ts):
 * a bench of media in this process measures what the gateway does, where V8's default 16 MiB
 * semi-spaces make scavenges of 10–25 ms that a media tick would wait for.
 * Speed is compared as ratios within one run: the machines here are noisy.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** Optional notes: the peer compared against, ratio, parameters. */
  detail?: Record<string, unknown>;
}

function findBenches(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findBenches(p));
    else if (entry.endsWith('.bench.ts')) out.push(p);
  }
  return out.sort();
}

async function main(): Promise<void> {
  const root = new URL('.', import.meta.url).pathname;
  const only = process.argv[2];
  const files = findBenches(root).filter((f) => !only || f.includes(only));
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), os: `${platform()} ${release()}`, node: process.version, nodeFlags: process.execArgv.filter((a) => a.startsWith('--max')) };
  const out = join(root, 'results', 'latest.json');
  const byFile: Record<string, { date: string; machine: typeof machine; results: BenchResult[] }> =
    existsSync(out) ? ((JSON.parse(readFileSync(out, 'utf8')) as { files?: typeof byFile }).files ?? {}) : {};
  for (const file of files) {
    const results: BenchResult[] = [];
    const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<BenchResult[]> };
    process.stdout.write(`\n## ${relative(root, file)}\n`);
    const rs = await mod.run();
    for (const r of rs) {
      process.stdout.write(`${r.suite.padEnd(14)} ${r.name.padEnd(48)} ${r.value.toFixed(2).padStart(14)} ${r.unit}` +
        `${r.detail ? '  ' + JSON.stringify(r.detail) : ''}\n`);
    }
    results.push(...rs);
    byFile[relative(root, file)] = { date: new Date().toISOString(), machine, results };
    mkdirSync(join(root, 'results'), { recursive: true });
    writeFileSync(out, JSON.stringify({ files: byFile }, null, 2));
  }
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
