/**
 * The tools the model may call: the built-in `end_call`, `transfer_call` and `send_dtmf`, and the
 * user's own from the config (their arguments POSTed to a url). Each call ends in an output string
 * for the model — a tool never throws and never leaves the turn waiting (timeouts, errors and bad
 * arguments become `{ "error": … }` outputs).
 */
import type { RealtimeFunctionTool } from 'openai/resources/realtime/realtime';
import type { AgentIO, CallInfo, TransferOutcome } from '../../types.js';
import type { BuiltinToolName, RealtimeSettings, UserTool } from './settings.js';

/** What the agent does once a tool's output has gone back to the model. */
export type ToolAfter =
  /** Ask the model for its next response (the usual case). */
  | 'respond'
  /** end_call: hang up once the goodbye has been played. */
  | 'hangup'
  /** transfer_call succeeded: the call is no longer ours. */
  | 'done';

export interface ToolResult {
  output: string;
  after: ToolAfter;
}

export interface ToolContext {
  io: Pick<AgentIO, 'transfer' | 'sendDtmf' | 'log'>;
  call: CallInfo;
  settings: Pick<RealtimeSettings, 'transfer_mode' | 'tools'>;
  /** transfer_call's allowed target names. */
  transferTargets: string[];
  /** The HTTP client (global fetch; tests may pass their own). */
  fetch?: typeof fetch;
}

const DESCRIPTIONS: Record<BuiltinToolName, (targets: string[]) => RealtimeFunctionTool> = {
  end_call: () => ({
    type: 'function',
    name: 'end_call',
    description: 'Hang up the phone call. Say goodbye first; the line is closed once your goodbye has been played.',
    parameters: { type: 'object', properties: { reason: { type: 'string', description: 'Why the call ends' } } },
  }),
  transfer_call: (targets) => ({
    type: 'function',
    name: 'transfer_call',
    description: 'Transfer the caller to a human. Tell the caller first. The result says whether it worked; if not, tell the caller.',
    parameters: {
      type: 'object',
      properties: { target: { type: 'string', enum: targets, description: 'Who to transfer to' }, reason: { type: 'string' } },
      required: ['target'],
    },
  }),
  send_dtmf: () => ({
    type: 'function',
    name: 'send_dtmf',
    description: 'Send touch-tone digits on the line (0-9, *, #, A-D), e.g. to navigate a phone menu.',
    parameters: { type: 'object', properties: { digits: { type: 'string', pattern: '^[0-9*#A-Da-d]+$' } }, required: ['digits'] },
  }),
};

/** The `tools` of session.update: the enabled built-ins (transfer_call only with a target) and the user's. */
export function toolDefinitions(builtins: BuiltinToolName[], transferTargets: string[], userTools: UserTool[]): RealtimeFunctionTool[] {
  const out: RealtimeFunctionTool[] = [];
  for (const name of builtins) {
    if (name === 'transfer_call' && transferTargets.length === 0) continue;
    out.push(DESCRIPTIONS[name](transferTargets));
  }
  for (const t of userTools) out.push({ type: 'function', name: t.name, description: t.description, parameters: t.parameters });
  return out;
}

/** transfer_call's output: the outcome as the model reads it. */
export function transferOutput(outcome: TransferOutcome): string {
  return JSON.stringify({
    result: outcome.result,
    method: outcome.method,
    ...(outcome.sipStatus !== undefined ? { sip_status: outcome.sipStatus } : {}),
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
  });
}

const error = (message: string): ToolResult => ({ output: JSON.stringify({ error: message }), after: 'respond' });

function parseArgs(json: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(json || '{}');
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function runTool(name: string, argsJson: string, ctx: ToolContext): Promise<ToolResult> {
  const args = parseArgs(argsJson);
  if (!args) return error(`arguments are not a JSON object: ${argsJson.slice(0, 200)}`);
  switch (name) {
    case 'end_call':
      return { output: JSON.stringify({ ok: true }), after: 'hangup' };
    case 'transfer_call': {
      const target = args.target;
      if (typeof target !== 'string' || !ctx.transferTargets.includes(target)) {
        return error(`unknown target ${JSON.stringify(target)}; use one of ${ctx.transferTargets.join(', ')}`);
      }
      try {
        const outcome = await ctx.io.transfer(target, { mode: ctx.settings.transfer_mode });
        ctx.io.log.info({ event: 'realtime_tool', tool: name, target, outcome }, 'openai-realtime: transfer outcome');
        return { output: transferOutput(outcome), after: outcome.result === 'transferred' ? 'done' : 'respond' };
      } catch (err) {
        ctx.io.log.warn({ event: 'realtime_tool', tool: name, target, err }, 'openai-realtime: transfer refused');
        return { output: JSON.stringify({ result: 'failed', reason: (err as Error).message }), after: 'respond' };
      }
    }
    case 'send_dtmf': {
      const digits = args.digits;
      if (typeof digits !== 'string' || !/^[0-9*#A-Da-d]+$/.test(digits)) return error('digits must be 0-9, *, #, A-D');
      try {
        await ctx.io.sendDtmf(digits.toUpperCase());
        return { output: JSON.stringify({ sent: digits }), after: 'respond' };
      } catch (err) {
        return error(`could not send digits: ${(err as Error).message}`);
      }
    }
    default: {
      const tool = ctx.settings.tools.find((t) => t.name === name);
      if (!tool) return error(`no tool named ${name}`);
      return callUserTool(tool, args, ctx);
    }
  }
}

/** POST `{ tool, arguments, call }` to the tool's url; its JSON reply is the output. */
async function callUserTool(tool: UserTool, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
  const call = ctx.call;
  const started = performance.now();
  try {
    const res = await (ctx.fetch ?? fetch)(tool.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tool: tool.name,
        arguments: args,
        call: { callId: call.callId, from: call.from, to: call.to, trunk: call.trunk, customParameters: call.customParameters },
      }),
      signal: AbortSignal.timeout(tool.timeout_ms),
    });
    const text = await res.text();
    const ms = Math.round(performance.now() - started);
    if (!res.ok) {
      ctx.io.log.warn({ event: 'realtime_tool', tool: tool.name, status: res.status, ms }, 'openai-realtime: tool url answered with an error');
      return error(`tool url answered ${res.status}`);
    }
    try {
      JSON.parse(text);
    } catch {
      return error('tool url did not answer with JSON');
    }
    ctx.io.log.info({ event: 'realtime_tool', tool: tool.name, status: res.status, ms }, 'openai-realtime: tool called');
    return { output: text, after: 'respond' };
  } catch (err) {
    const e = err as Error;
    const reason = e.name === 'TimeoutError' ? `no answer within ${tool.timeout_ms} ms` : e.message;
    ctx.io.log.warn({ event: 'realtime_tool', tool: tool.name, reason }, 'openai-realtime: tool call failed');
    return error(`tool ${tool.name} failed: ${reason}`);
  }
}
