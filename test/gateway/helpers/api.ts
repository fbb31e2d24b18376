import type { TestGateway } from './gateway.js';

export const API_TOKEN = 'test-token-0123456789abcdef';

/** The `api:` config section for a test gateway: loopback, any free port. */
export const apiConfig = { api: { listen: '127.0.0.1:0', token: API_TOKEN } };

export interface ApiReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One request to the test gateway's REST API (JSON in, JSON out). */
export async function api(gw: TestGateway, method: string, path: string, body?: unknown, token: string | null = API_TOKEN): Promise<ApiReply> {
  const a = gw.proc.gateway.api;
  if (!a) throw new Error('the test gateway has no api: section');
  const res = await fetch(`http://127.0.0.1:${a.address.port}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}
