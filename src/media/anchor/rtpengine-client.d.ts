/** The part of rtpengine-client 0.4.12 (no types of its own) that src/media/anchor uses. */
declare module 'rtpengine-client' {
  export type NgResponse = { result: string; 'error-reason'?: string; sdp?: string; [key: string]: unknown };
  export class Client {
    constructor(options: { localPort?: number; localAddress?: string; timeout?: number; rejectOnError?: boolean });
    ping(port: number, host: string): Promise<NgResponse>;
    offer(port: number, host: string, options: Record<string, unknown>): Promise<NgResponse>;
    answer(port: number, host: string, options: Record<string, unknown>): Promise<NgResponse>;
    query(port: number, host: string, options: Record<string, unknown>): Promise<NgResponse>;
    delete(port: number, host: string, options: Record<string, unknown>): Promise<NgResponse>;
    startRecording(port: number, host: string, options: Record<string, unknown>): Promise<NgResponse>;
    on(event: 'listening' | 'error', listener: (...args: unknown[]) => void): this;
    close(): void;
  }
}
