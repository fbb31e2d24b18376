/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and writes
 *  - a flame graph as SVG (stacks folded root → leaf, width = samples, idle left out), and
 *  - a markdown report: CPU by layer of trunkgate, and the top functions by self time.
 *
 * A sample is charged to the layer of the innermost frame that belongs to a layer we name
 * (src/sip/message, …, node_modules/drachtio-srf), so a syscall made by `socket.write` is the
 * cost of the layer that wrote. Frames of Node itself with no such caller count as "node".
 *
 * Usage: npx tsx scripts/cpuprofile-report.ts <file.cpuprofile> <out-prefix> [title]
 *   → <out-prefix>.svg and <out-prefix>.md
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number }

const LAYERS: Array<[RegExp, string]> = [
  [/\/(?:src|dist)\/sip\/message\//, 'sip: parse / serialize'],
  [/\/(?:src|dist)\/sip\/transport\//, 'sip: transport'],
  [/\/(?:src|dist)\/sip\/transaction\//, 'sip: transactions'],
  [/\/(?:src|dist)\/sip\/dialog\//, 'sip: dialogs'],
  [/\/(?:src|dist)\/sip\//, 'sip: stack'],
  [/\/(?:src|dist)\/drachtio\/wire\//, 'drachtio wire protocol'],
  [/\/(?:src|dist)\/drachtio\/control\//, 'drachtio wire protocol'],
  [/\/(?:src|dist)\/drachtio\//, 'drachtio server (requests, responses, proxy)'],
  [/\/node_modules\/drachtio-srf\/lib\/sip-parser\//, 'drachtio-srf: its SIP parser'],
  [/\/node_modules\/drachtio-srf\//, 'drachtio-srf: app framework'],
  [/\/node_modules\/(delegates|only|sdp-transform|uuid|debug|short-uuid|utils-merge)\//, 'drachtio-srf: its dependencies'],
  [/\/node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|quick-format-unescaped|on-exit-leak-free|thread-stream)\//, 'logging (pino)'],
  [/\/(?:src|dist)\/media\//, 'media'],
  [/\/(?:src|dist)\/gateway\//, 'gateway'],
  [/\/(?:src|dist)\/agents\//, 'agents'],
  [/\/(?:src|dist)\//, 'trunkgate other'],
  [/\/bench\//, 'bench app'],
  [/\/node_modules\/tsx\/|\/node_modules\/esbuild\//, 'tsx loader'],
];
const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)']);

function layerOf(url: string): string | undefined {
  for (const [re, name] of LAYERS) if (re.test(url)) return name;
  return undefined;
}

function label(f: CallFrame): string {
  const file = f.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/').replace(/^node:/, '');
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Folded { name: string; value: number; children: Map<string, Folded> }

export function report(profile: Profile, title: string): { svg: string; md: string } {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const counts = new Map<number, number>();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const msPerSample = (seconds * 1000) / Math.max(total, 1);

  const layers = new Map<string, number>();
  const self = new Map<string, number>();
  const root: Folded = { name: 'all', value: 0, children: new Map() };
  let busy = 0;
  for (const [id, n] of counts) {
    const leaf = byId.get(id)!;
    const fn = leaf.callFrame.functionName;
    if (fn === '(idle)') continue;
    busy += n;
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!.callFrame);
    let layer = SPECIAL.has(fn) ? fn : undefined;
    for (const f of stack) { if (layer) break; layer = layerOf(f.url); }
    layer ??= 'node (no trunkgate caller)';
    layers.set(layer, (layers.get(layer) ?? 0) + n);
    self.set(label(leaf.callFrame), (self.get(label(leaf.callFrame)) ?? 0) + n);
    let node = root;
    root.value += n;
    for (let i = stack.length - 1; i >= 0; i--) {
      const name = label(stack[i]!);
      if (name.startsWith('(root)')) continue;
      let child = node.children.get(name);
      if (!child) node.children.set(name, child = { name, value: 0, children: new Map() });
      child.value += n;
      node = child;
    }
  }

  const pct = (n: number): string => `${((100 * n) / Math.max(busy, 1)).toFixed(1)} %`;
  const ms = (n: number): string => (n * msPerSample).toFixed(0);
  const rows = [...layers].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${ms(v)} | ${pct(v)} |`);
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `| \`${k}\` | ${ms(v)} | ${pct(v)} |`);
  const md = [`# ${title}`, '', `Profile: ${seconds.toFixed(1)} s, ${total} samples, busy ${ms(busy)} ms (${((100 * busy) / total).toFixed(1)} % of the wall time).`, '',
    '## CPU by layer (innermost trunkgate or library frame on the stack)', '', '| layer | ms | share of busy |', '|---|---:|---:|', ...rows, '',
    '## Top 30 functions by self time', '', '| function | ms | share of busy |', '|---|---:|---:|', ...top, ''].join('\n');

  // Flame graph: root at the bottom, one 16 px row per depth.
  const width = 1600;
  const rowH = 16;
  let depthMax = 0;
  const rects: string[] = [];
  const walk = (f: Folded, x: number, depth: number): void => {
    depthMax = Math.max(depthMax, depth);
    const w = (f.value / Math.max(root.value, 1)) * width;
    if (w < 0.3) return;
    rects.push(`${depth}|${x}|${w}|${f.name}|${f.value}`);
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => a.name.localeCompare(b.name))) { walk(c, cx, depth + 1); cx += (c.value / root.value) * width; }
  };
  walk(root, 0, 0);
  const height = (depthMax + 3) * rowH;
  const body = rects.map((r) => {
    const [d, x, w, name, v] = r.split('|') as [string, string, string, string, string];
    const y = height - (Number(d) + 2) * rowH;
    const lay = layerOf(name.includes(' ') ? '/' + name.slice(name.indexOf(' ') + 1) : '') ?? '';
    const hue = lay.startsWith('sip') ? 30 : lay.startsWith('drachtio-srf') ? 200 : lay.startsWith('drachtio') ? 120 : lay.startsWith('logging') ? 300 : 0;
    const sat = lay ? 70 : 0;
    const text = Number(w) > 40 ? `<text x="${Number(x) + 2}" y="${y + 12}">${esc(name.slice(0, Math.floor(Number(w) / 6.5)))}</text>` : '';
    return `<g><title>${esc(name)} — ${ms(Number(v))} ms (${pct(Number(v))})</title><rect x="${Number(x).toFixed(1)}" y="${y}" width="${Number(w).toFixed(1)}" height="${rowH - 1}" fill="hsl(${hue},${sat}%,${lay ? 65 : 80}%)"/>${text}</g>`;
  }).join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">\n` +
    `<text x="4" y="14" font-size="13">${esc(title)} — busy ${ms(busy)} ms; orange sip/, green drachtio/, blue drachtio-srf, purple pino, grey node</text>\n${body}\n</svg>\n`;
  return { svg, md };
}

if (process.argv[1]?.endsWith('cpuprofile-report.ts')) {
  const [file, prefix, title] = process.argv.slice(2);
  if (!file || !prefix) {
    process.stderr.write('usage: cpuprofile-report.ts <file.cpuprofile> <out-prefix> [title]\n');
    process.exit(2);
  }
  const { svg, md } = report(JSON.parse(readFileSync(file, 'utf8')) as Profile, title ?? file);
  writeFileSync(`${prefix}.svg`, svg);
  writeFileSync(`${prefix}.md`, md);
  process.stdout.write(md);
}
