import { rootLogger, type Logger } from '../log.js';
import { createDrachtioServer } from './server.js';

export interface ServerCommandOptions {
  /** drachtio-style SIP contact, e.g. `sip:127.0.0.1:5090;transport=udp,tcp`. */
  contact: string;
  /** Control port applications connect to (drachtio's default is 9022). */
  port: number;
  secret: string;
  /** Control listener address (default 127.0.0.1). */
  host?: string;
  logger?: Logger;
}

/** `trunkgate server`: runs the embedded drachtio server until SIGINT/SIGTERM, then closes it. */
export async function runServerCommand(opts: ServerCommandOptions): Promise<void> {
  const logger = opts.logger ?? rootLogger;
  const server = createDrachtioServer({
    sip: { contacts: [opts.contact] },
    control: { host: opts.host ?? '127.0.0.1', port: opts.port, secret: opts.secret },
    logger,
  });
  await server.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping drachtio server');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
