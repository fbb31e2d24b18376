/**
 * The public surface as a user's project meets it: `npm pack` the built package (run
 * `npm run build` first), install the tarball in a temporary project outside the checkout, then
 * type-check an agent that imports `trunkgate/agent` with the user's own tsconfig and import the
 * entry points at run time.
 *
 * Offline, the tarball is installed the way npm installs one — unpacked into
 * node_modules/trunkgate — and its dependencies (plus typescript and @types/node, as a user's
 * devDependencies) are symlinked from this checkout's node_modules instead of fetched.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
let project = '';

beforeAll(() => {
  if (!existsSync(join(root, 'dist/agents/index.d.ts'))) throw new Error('dist/ has no declarations: run `npm run build` first');
  project = mkdtempSync(join(tmpdir(), 'tg-user-project-'));
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', project], { cwd: root, encoding: 'utf8' }).trim().split('\n').at(-1)!;
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  execFileSync('tar', ['-xzf', join(project, tgz), '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'trunkgate'));
  for (const dep of [...Object.keys(pkg.dependencies), 'typescript', '@types/node']) {
    const target = join(modules, dep);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), target, 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-agent', type: 'module', private: true, dependencies: { trunkgate: `file:${tgz}` } }));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
    include: ['*.ts', '*.mjs'],
  }));
  copyFileSync(join(root, 'examples/agents/beep-agent.ts'), join(project, 'beep-agent.ts'));
}, 120_000);

afterAll(() => { if (project) rmSync(project, { recursive: true, force: true }); });

function tsc(): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, encoding: 'utf8' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
  }
}

describe('the packed trunkgate package in a user project', () => {
  it('ships the entry points and their declarations, not the sources or tests', () => {
    const installed = join(project, 'node_modules/trunkgate');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/agents/index.js', 'dist/agents/index.d.ts', 'dist/cli.js', 'sip-configs/default.yaml', 'examples/agents/beep-agent.ts']) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
  });

  it('type-checks the example agent (import type … from "trunkgate/agent") with strict settings', () => {
    const r = tsc();
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails the type-check of an agent that misuses the API (the check is real)', () => {
    writeFileSync(join(project, 'wrong.ts'), `import type { AgentFactory } from 'trunkgate/agent';
const f: AgentFactory = () => ({ start(call, io) { io.play('not audio', 8000); } });
export default f;
`);
    try {
      const r = tsc();
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('wrong.ts');
    } finally {
      rmSync(join(project, 'wrong.ts'));
    }
  }, 60_000);

  it('imports trunkgate/agent and trunkgate at run time from the project', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const agent = await import('trunkgate/agent');
      const root = await import('trunkgate');
      console.log(JSON.stringify({ defineAgent: typeof agent.defineAgent, readWav: typeof agent.readWav, loadConfig: typeof root.loadConfig, start: typeof root.startGatewayProcess }));
    `], { cwd: project, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ defineAgent: 'function', readWav: 'function', loadConfig: 'function', start: 'function' });
  });
});
