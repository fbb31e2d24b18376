import type { Agent, AgentFactory, TransferOptions } from '../../src/agents/types.js';

/**
 * Bench agent (bench/gateway/transfer.bench.ts): transfers the call to `settings.target` as soon as
 * the gateway accepts it. The gateway starts an agent before its 200 OK has gone out, and
 * io.transfer() in that window rejects with TRANSFER_IN_PROGRESS ("call is early"): the agent
 * retries every 10 ms for up to 10 s and logs how long it waited (`bench_transfer_wait`).
 * Settings: target, mode ('blind' | 'warm'), caller_hears ('ringback' | 'agent').
 */
const createAgent: AgentFactory = (settings) => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const agent: Agent = {
    start(_call, io) {
      const options: TransferOptions = {
        mode: settings.mode === 'warm' ? 'warm' : 'blind',
        ...(settings.caller_hears === 'agent' || settings.caller_hears === 'ringback' ? { callerHears: settings.caller_hears } : {}),
      };
      const began = Date.now();
      let tries = 0;
      const attempt = (): void => {
        if (stopped) return;
        tries++;
        io.transfer(String(settings.target), options).then((outcome) => {
          io.log.info({ event: 'bench_transfer_outcome', waitedMs: Date.now() - began - outcome.ms, tries, ...outcome }, 'bench agent: transfer outcome');
        }, (err: unknown) => {
          if ((err as { code?: string }).code === 'TRANSFER_IN_PROGRESS' && Date.now() - began < 10_000) {
            timer = setTimeout(attempt, 10);
            return;
          }
          io.log.warn({ event: 'bench_transfer_error', err: String(err), tries }, 'bench agent: transfer rejected');
        });
      };
      attempt();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
  return agent;
};
export default createAgent;
