/**
 * Without OPENAI_API_KEY a gateway whose routes use an openai-realtime agent refuses to start and
 * says why (every call would fail otherwise); a gateway that does not use it starts as before.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveAgent } from '../../../../src/agents/registry.js';
import { AgentLoadError } from '../../../../src/agents/types.js';
import { loadConfig } from '../../../../src/gateway/config/load.js';
import { REPO, repoTmp, runGatewayToExit } from './helpers/gateway-child.js';

let dir: string;
beforeAll(() => { dir = repoTmp('realtime-start-'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const saved = process.env.OPENAI_API_KEY;
afterEach(() => {
  if (saved === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = saved;
});

describe('openai-realtime at gateway start', () => {
  it("default.yaml's `openai` agent (trunkgate start --agent openai) is refused with AgentLoadError naming OPENAI_API_KEY", async () => {
    delete process.env.OPENAI_API_KEY;
    const cfg = loadConfig(join(REPO, 'sip-configs/default.yaml'));
    expect(cfg.agents.openai?.type).toBe('openai-realtime');
    const err = await resolveAgent('openai', cfg.agents.openai, REPO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentLoadError);
    expect((err as AgentLoadError).message).toContain('OPENAI_API_KEY');
    process.env.OPENAI_API_KEY = 'sk-test';
    await expect(resolveAgent('openai', cfg.agents.openai, REPO)).resolves.toMatchObject({ name: 'openai' });
  });

  it('the gateway process exits with status 1 and says OPENAI_API_KEY is not set', async () => {
    const r = await runGatewayToExit({ agent: { type: 'openai-realtime', settings: {} }, env: { OPENAI_API_KEY: '' }, dir });
    expect(r.code).toBe(1);
    expect(r.output).toContain('OPENAI_API_KEY is not set');
  }, 30_000);
});
