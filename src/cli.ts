#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * `trunkgate` — the one command-line entry.
 *   trunkgate start [--config FILE] [--agent NAME]   embedded SIP server + gateway application
 *   trunkgate server --contact URI --port N --secret S   the embedded drachtio-compatible server alone
 *   trunkgate loadtest [...]                          SIPp load test with a JSON + HTML report
 *   trunkgate cdr [--since 2h] [--format json|csv]    the call detail records (docs/cdr.md)
 *   trunkgate cluster --instances N [--port P]        Kamailio dispatcher + N gateway instances on 127.0.0.1
 */
import { Command, InvalidArgumentError } from 'commander';
import { rootLogger } from './log.js';
import { DRACHTIO_CONTROL_DEFAULTS } from './gateway/config/schema.js';

function intArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

export function buildCli(): Command {
  const program = new Command('trunkgate')
    .description('SIP trunk gateway for AI voice agents')
    .showHelpAfterError();

  program.command('start')
    .description('start the gateway: embedded SIP server (or an external drachtio-server) and the application')
    .option('-c, --config <file>', 'gateway configuration (YAML)')
    .option('-a, --agent <name>', 'use this agent for every route')
    .action(async (opts: { config?: string; agent?: string }) => {
      const { main } = await import('./runtime/start-command.js');
      const args = [...(opts.config ? ['--config', opts.config] : []), ...(opts.agent ? ['--agent', opts.agent] : [])];
      process.exitCode = await main(args);
    });

  program.command('server')
    .description('run the embedded drachtio-compatible SIP server alone, like drachtio-server')
    .option('--contact <uri>', 'SIP contact to listen on', 'sip:127.0.0.1:5060;transport=udp,tcp')
    .option('--port <n>', 'control port for drachtio-srf applications', intArg('--port'), DRACHTIO_CONTROL_DEFAULTS.port)
    .option('--host <addr>', 'control listener address', DRACHTIO_CONTROL_DEFAULTS.host)
    .option('--secret <secret>', 'shared secret applications authenticate with', DRACHTIO_CONTROL_DEFAULTS.secret)
    .action(async (opts: { contact: string; port: number; host: string; secret: string }) => {
      const { runServerCommand } = await import('./drachtio/server-command.js');
      await runServerCommand({ contact: opts.contact, port: opts.port, host: opts.host, secret: opts.secret, logger: rootLogger });
    });

  program.command('loadtest')
    .description('drive SIPp against the gateway (or a peer) and write report.json + report.html; `trunkgate loadtest --help`')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { loadtestMain } = await import('./loadtest/command.js');
      process.exitCode = await loadtestMain(args);
    });

  program.command('cdr')
    .description('print the call detail records: JSON Lines or CSV, oldest first (docs/cdr.md)')
    .option('--since <when>', 'calls from this time on: a duration back (15m, 2h, 7d) or a date')
    .option('--format <format>', 'json (one object per line) or csv', 'json')
    .option('--db <file>', 'CDR database (default: cdr.path of --config, else ~/.local/state/trunkgate/cdr.sqlite)')
    .option('-c, --config <file>', 'take the database path from this gateway configuration')
    .action(async (opts: { since?: string; format: string; db?: string; config?: string }) => {
      const { cdrMain } = await import('./gateway/cdr/command.js');
      const args = ['--format', opts.format, ...(opts.since ? ['--since', opts.since] : []), ...(opts.db ? ['--db', opts.db] : []), ...(opts.config ? ['--config', opts.config] : [])];
      process.exitCode = await cdrMain(args);
    });

  program.command('cluster')
    .description('Kamailio dispatcher on 127.0.0.1:PORT in front of N gateway instances with generated configs (docs/scaling.md)')
    .option('--instances <n>', 'gateway instances', '2')
    .option('--port <n>', 'Kamailio\'s port (instances on the ports above it)', '5060')
    .option('-c, --config <file>', 'base gateway configuration the instances are generated from (default sip-configs/default.yaml)')
    .option('--work-dir <dir>', 'where the generated configs, dispatcher list and Kamailio runtime files go')
    .option('-a, --agent <name>', 'use this agent for every route')
    .action(async (opts: { instances: string; port: string; config?: string; workDir?: string; agent?: string }) => {
      const { clusterMain } = await import('./cluster/command.js');
      const args = ['--instances', opts.instances, '--port', opts.port, ...(opts.config ? ['--config', opts.config] : []),
        ...(opts.workDir ? ['--work-dir', opts.workDir] : []), ...(opts.agent ? ['--agent', opts.agent] : [])];
      process.exitCode = await clusterMain(args, rootLogger);
    });

  return program;
}

await buildCli().parseAsync(process.argv);
