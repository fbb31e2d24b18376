import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAgentModule, resolveAgent } from '../../src/agents/registry.js';
import { AgentLoadError } from '../../src/agents/types.js';
import { rootLogger } from '../../src/log.js';
import { callInfo, recordingIO } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('agent registry', () => {
  it('resolves built-in agents by name without a config entry', async () => {
    expect((await resolveAgent('echo', undefined, root)).name).toBe('echo');
  });
  it('loads the example custom agent from its module path (default export)', async () => {
    const factory = await loadAgentModule('beeper', 'examples/agents/beep-agent.ts', root);
    const agent = await factory({ greeting_hz: 440 }, { transferTargets: {}, log: rootLogger });
    const r = recordingIO();
    await agent.start(callInfo, r.io);
    expect(r.played).toHaveLength(1);
    r.press('#');
    r.reach('bye');
    expect(r.hangups).toEqual(['caller pressed #']);
  });
  it('loads a named createAgent export', async () => {
    const factory = await loadAgentModule('broken', 'test/gateway/fixtures/failing-agent.ts', root);
    expect(typeof factory).toBe('function');
  });
  it('fails with AgentLoadError for a missing module or an unknown type', async () => {
    await expect(loadAgentModule('x', 'nope/missing.ts', root)).rejects.toBeInstanceOf(AgentLoadError);
    await expect(resolveAgent('x', { type: 'nonsense', settings: {} }, root)).rejects.toBeInstanceOf(AgentLoadError);
  });
});
