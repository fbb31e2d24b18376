/**
 * Picks the trunk for a request's source address and the route (agent) for its dialled number.
 * Every refusal carries a typed reason so the caller can log exactly why.
 */
import type { GatewayConfig, RouteConfig, TrunkConfig } from '../config/schema.js';
import { CidrSet } from '../edge/cidr.js';
import { legSrtpPolicy } from '../config/leg-srtp.js';
import { compilePattern, matchesPattern, normalizeNumber, userOf, type NumberPattern } from './numbers.js';

export type RouteRefusal =
  | { reason: 'no_trunk_for_source'; source: string }
  | { reason: 'no_route_for_number'; trunk: string; dialled: string; normalized: string };

/** Where a route sends its calls: an agent, or a SIP endpoint the call is bridged to. */
export type RouteTarget =
  | { kind: 'agent'; agent: string }
  | { kind: 'sip'; uri: string; auth?: { username: string; password: string }; headers: Record<string, string>; srtp: 'off' | 'optional' | 'mandatory' };

export interface RouteMatch {
  trunk: TrunkConfig;
  target: RouteTarget;
  pattern: string;
  dialled: string;
  normalized: string;
}

interface CompiledTrunk {
  config: TrunkConfig;
  sources: CidrSet;
  routes: { pattern: string; compiled: NumberPattern; target: RouteTarget }[];
}

export class Router {
  readonly #trunks: CompiledTrunk[];

  constructor(config: Pick<GatewayConfig, 'trunks'>) {
    this.#trunks = config.trunks.map((t) => {
      const ctx = { countryCode: t.country_code, nationalPrefix: t.national_prefix };
      return {
        config: t,
        sources: new CidrSet(t.sources),
        routes: t.routes.map((r) => ({ pattern: r.pattern, compiled: compilePattern(r.pattern, ctx), target: routeTarget(r) })),
      };
    });
  }

  /** The first trunk (in file order) whose CIDRs contain the address. */
  trunkFor(sourceAddress: string): TrunkConfig | undefined {
    return this.#trunks.find((t) => t.sources.contains(sourceAddress))?.config;
  }

  /** Trunk by source, then the first route whose pattern matches the normalised number. */
  route(sourceAddress: string, requestUriOrNumber: string): RouteMatch | RouteRefusal {
    const trunk = this.#trunks.find((t) => t.sources.contains(sourceAddress));
    if (!trunk) return { reason: 'no_trunk_for_source', source: sourceAddress };
    return this.routeOnTrunk(trunk.config.name, requestUriOrNumber);
  }

  routeOnTrunk(trunkName: string, requestUriOrNumber: string): RouteMatch | RouteRefusal {
    const trunk = this.#trunks.find((t) => t.config.name === trunkName);
    if (!trunk) return { reason: 'no_trunk_for_source', source: trunkName };
    const dialled = /^(sips?|tel):/i.test(requestUriOrNumber) ? userOf(requestUriOrNumber) : requestUriOrNumber;
    const normalized = normalizeNumber(dialled, { countryCode: trunk.config.country_code, nationalPrefix: trunk.config.national_prefix });
    const hit = trunk.routes.find((r) => matchesPattern(r.compiled, normalized));
    if (!hit) return { reason: 'no_route_for_number', trunk: trunk.config.name, dialled, normalized };
    return { trunk: trunk.config, target: hit.target, pattern: hit.pattern, dialled, normalized };
  }
}

function routeTarget(r: RouteConfig): RouteTarget {
  if (r.sip !== undefined) return { kind: 'sip', uri: r.sip, ...(r.auth ? { auth: r.auth } : {}), headers: r.headers ?? {}, srtp: legSrtpPolicy(r.sip, r.srtp) };
  return { kind: 'agent', agent: r.agent! };
}

export function isRefusal(r: RouteMatch | RouteRefusal): r is RouteRefusal {
  return 'reason' in r;
}
