/**
 * Process entry for the gateway alone: `tsx src/runtime/start-command.ts [--config FILE] [--agent NAME]`.
 * A bad configuration prints the file, field and reason and exits with status 2; SIGTERM/SIGINT
 * drain calls for the configured grace period and exit 0.
 */
import { parseArgs } from 'node:util';
import { rootLogger } from '../log.js';
import { resolve } from 'node:path';
import { checkAgents } from '../gateway/config/agents.js';
import { ConfigError, loadConfigWithNotes } from '../gateway/config/load.js';
import { DEFAULT_CONFIG_PATH } from '../gateway/start.js';
import { startGatewayProcess } from './gateway-process.js';
import { startupSummary } from './startup-summary.js';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, agent: { type: 'string' } }, strict: true });
  // Listen for signals before starting, so a SIGTERM during startup still drains and exits.
  let signalled: ((signal: string) => void) | undefined;
  const signal = new Promise<string>((resolve) => { signalled = resolve; });
  const onSignal = (s: string): void => signalled?.(s);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    // Everything in the file, agents included, is checked before anything listens (exit 2).
    const configPath = resolve(values.config ?? DEFAULT_CONFIG_PATH);
    const { config, notes } = loadConfigWithNotes(configPath);
    await checkAgents(config, configPath, values.agent);
    rootLogger.level = config.logging.level;
    for (const n of notes) rootLogger.warn({ file: configPath, path: n.path }, `config note: ${n.path}: ${n.reason}`);
    const proc = await startGatewayProcess({
      config, configPath,
      ...(values.agent ? { agentOverride: values.agent } : {}),
      logger: rootLogger,
    });
    const summary = startupSummary(configPath, config, values.agent);
    rootLogger.info(summary.fields, summary.text);
    const received = await signal;
    rootLogger.info({ signal: received }, 'stopping: new calls get 503, live calls may finish');
    await proc.stop();
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      rootLogger.fatal({ code: err.code, file: err.file, issues: err.issues }, `configuration error: ${err.message}`);
      process.stderr.write(`trunkgate: configuration error in ${err.message}\n`);
      return 2;
    }
    rootLogger.fatal({ err }, 'gateway failed to start');
    process.stderr.write(`trunkgate: failed to start: ${(err as Error).message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
