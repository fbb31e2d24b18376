/**
 * Where the worker's code is. Built (dist/, `npm start`): media-worker.js next to this module,
 * started as is. From source (tsx, vitest: this module's URL ends in .ts): media-worker.ts behind
 * a small bootstrap that registers tsx's ESM hooks inside the new thread first (on Node 20 a
 * worker's `--import tsx` execArgv does not reach its entry module), resolved to absolute URLs
 * so it works from any cwd. Node flags of the process (--cpu-prof, --max-old-space-size …) carry over.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface WorkerEntry {
  /** A file URL, or bootstrap code when `eval` is true. */
  source: URL | string;
  eval: boolean;
  /** The process's node flags minus those that only make sense for its own entry (--input-type) or isolate (heap sizes). */
  execArgv: string[];
}

function inheritedFlags(): string[] {
  const out: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i]!;
    if (a === '--input-type' || a === '-e' || a === '--eval' || a === '-p' || a === '--print') { i++; continue; }
    if (a.startsWith('--input-type=')) continue;
    // Heap sizes are per isolate: a Worker refuses them in execArgv (ERR_WORKER_INVALID_EXEC_ARGV) and
    // takes them as resourceLimits instead (the pool's default caps the young generation).
    if (/^--max-(semi-space|old-space|young-generation)-size/.test(a)) { if (!a.includes('=')) i++; continue; }
    out.push(a);
  }
  return out;
}

export function mediaWorkerEntry(moduleUrl: string = import.meta.url): WorkerEntry {
  if (!moduleUrl.endsWith('.ts')) return { source: new URL('./media-worker.js', moduleUrl), eval: false, execArgv: inheritedFlags() };
  const entry = new URL('./media-worker.ts', moduleUrl).href;
  const tsxDir = dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const source = `import(${JSON.stringify(api)})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })
    .catch((err) => { setImmediate(() => { throw err; }); });`;
  return { source, eval: true, execArgv: inheritedFlags() };
}
