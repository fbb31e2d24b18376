/**
 * Process entry for the gateway alone: `tsx src/runtime/start-command.ts [--config FILE] [--agent NAME]`.
 * A bad configuration prints the file, field and reason and exits with status 2; SIGTERM/SIGINT
 * drain calls for the configured grace period and exit 0.
 */
import { parseArgs } from 'node:util';
import { rootLogger } from '../log.js';
import { ConfigError } from '../gateway/config/load.js';
import { startGatewayProcess } from './gateway-process.js';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, agent: { type: 'string' } }, strict: true });
  // Listen for signals before starting, so a SIGTERM during startup still drains and exits.
  let signalled: ((signal: string) => void) | undefined;
  const signal = new Promise<string>((resolve) => { signalled = resolve; });
  const onSignal = (s: string): void => signalled?.(s);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const proc = await startGatewayProcess({
      ...(values.config ? { configPath: values.config } : {}),
      ...(values.agent ? { agentOverride: values.agent } : {}),
      logger: rootLogger,
    });
    rootLogger.level = proc.gateway.config.logging.level;
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
