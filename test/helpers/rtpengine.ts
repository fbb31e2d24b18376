/**
 * The real rtpengine daemon (Debian rtpengine-daemon) in userspace on loopback, as docs/security.md
 * shows for production: no kernel module (`--table=-1`), no config file, one interface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, freePortRange } from './ports.js';

export interface RtpengineDaemon {
  ng: string;
  ports: { min: number; max: number };
  output(): string;
  stop(): Promise<void>;
}

/** `recordingDir`: record with `--recording-method=pcap` into that directory (rtpengine writes the pcap files itself). */
export async function startRtpengine(options: { recordingDir?: string } = {}): Promise<RtpengineDaemon> {
  const ngPort = await freePort();
  const ports = await freePortRange(40);
  const child: ChildProcess = spawn('rtpengine', [
    '--config-file=none', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`, '--foreground', '--log-stderr',
    '--table=-1', `--port-min=${ports.min}`, `--port-max=${ports.max}`, '-L', '6',
    ...(options.recordingDir ? [`--recording-dir=${options.recordingDir}`, '--recording-method=pcap'] : []),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('Startup complete')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`rtpengine exited with ${code}: ${output}`)));
  });
  return {
    ng: `127.0.0.1:${ngPort}`,
    ports,
    output: () => output,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
