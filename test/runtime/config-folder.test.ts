/**
 * `trunkgate start --config FILE` loads the file and hands the gateway both the parsed config and
 * the file's path: relative paths in it (cdr.path) are taken from the file's folder, whatever the
 * working directory, as docs/cdr.md says.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/gateway/config/load.js';
import { startGatewayProcess } from '../../src/runtime/gateway-process.js';
import { gatewayFolder } from '../gateway/cdr/helpers.js';

describe('a config file\'s relative paths', () => {
  it('cdr.path ./cdr.sqlite lands beside the config file, not in the working directory', async () => {
    const u = await gatewayFolder();
    expect(process.cwd()).not.toBe(u.dir);
    const proc = await startGatewayProcess({ config: loadConfig(u.config), configPath: u.config, controlPort: 0, logger: pino({ level: 'silent' }) });
    try {
      expect(existsSync(u.db)).toBe(true);
      expect(existsSync(join(process.cwd(), 'cdr.sqlite'))).toBe(false);
    } finally {
      await proc.stop({ graceMs: 0 });
    }
  }, 30_000);
});
