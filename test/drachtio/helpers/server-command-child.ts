/** Runs `runServerCommand` in a child process for server-command.test.ts; argv: <sipPort> <controlPort>. */
import { runServerCommand } from '../../../src/drachtio/server-command.js';
import { createLogger } from '../../../src/log.js';

const [sipPort, controlPort] = process.argv.slice(2);
await runServerCommand({ contact: `sip:127.0.0.1:${sipPort};transport=udp,tcp`, port: Number(controlPort), secret: 'cymru',
  logger: createLogger({ level: 'silent' }) });
process.stdout.write('closed\n');
