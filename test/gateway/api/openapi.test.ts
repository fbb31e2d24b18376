import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../src/gateway/api/openapi.js';
import * as s from '../../../src/gateway/api/schemas.js';

type Json = Record<string, unknown>;
const doc = openApiDocument() as Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> } };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Python's openapi-spec-validator (checks a document against the OpenAPI 3.1 schema) and jsonschema, when installed. */
const python = spawnSync('python3', ['-c', 'import openapi_spec_validator, jsonschema'], { stdio: 'ignore' }).status === 0;

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('the OpenAPI document (/v1/openapi.json)', () => {
  it('follows the OpenAPI 3.1 rules checked here: version, unique operationIds, path parameters declared and used, every $ref resolving, components without $id/$schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const ids: string[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      expect(p.startsWith('/')).toBe(true);
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS).toContain(method);
        expect(Object.keys(op.responses as Json).length).toBeGreaterThan(0);
        ids.push(op.operationId as string);
        const declared = ((op.parameters ?? []) as { name: string; in: string; required?: boolean }[]).filter((x) => x.in === 'path');
        // OpenAPI 3.1 §4.8.12.1: a path parameter is required and names a template expression.
        expect(declared.map((x) => x.name).sort()).toEqual([...templated].sort());
        for (const d of declared) expect(d.required).toBe(true);
        for (const sec of (op.security ?? []) as Json[]) for (const name of Object.keys(sec)) expect(doc.components.securitySchemes).toHaveProperty(name);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of refs(doc)) {
      const m = /^#\/components\/schemas\/(.+)$/.exec(r);
      expect(m, r).not.toBeNull();
      expect(doc.components.schemas, r).toHaveProperty(m![1]!);
    }
    for (const schema of Object.values(doc.components.schemas)) {
      expect(schema).not.toHaveProperty('$id');
      expect(schema).not.toHaveProperty('$schema');
    }
  });

  it('documents every route the server has', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/calls', '/v1/calls/{id}', '/v1/calls/{id}/dtmf', '/v1/calls/{id}/hangup', '/v1/calls/{id}/play', '/v1/calls/{id}/transfer', '/v1/openapi.json']);
    expect(Object.keys(doc.paths['/v1/calls']!).sort()).toEqual(['get', 'post']);
  });

  it.skipIf(!python)('validates with openapi-spec-validator (the OpenAPI 3.1 schema), and its request schemas agree with the zod schemas the server uses (jsonschema, draft 2020-12)', () => {
    const valid = { to: '+919876543210', trunk: 'test', agent: 'echo', status_callback: 'http://127.0.0.1:9/x', ring_timeout_s: 20 };
    const invalid = [{ trunk: 'test', agent: 'echo' }, { ...valid, ring_timeout_s: -1 }, { ...valid, extra: 1 }, { ...valid, to: 42 }];
    // The zod schemas' verdicts, to compare with the document's.
    expect(s.createCallRequest.safeParse(valid).success).toBe(true);
    for (const b of invalid) expect(s.createCallRequest.safeParse(b).success).toBe(false);
    const script = `
import json, sys
from openapi_spec_validator import validate
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
doc = json.load(sys.stdin)
validate(doc)
schemas = doc["components"]["schemas"]
registry = Registry().with_resources([("urn:doc", Resource.from_contents(doc, default_specification=__import__("referencing.jsonschema").jsonschema.DRAFT202012))])
def check(name, body):
    v = Draft202012Validator({"$ref": "urn:doc#/components/schemas/" + name}, registry=registry)
    return v.is_valid(body)
valid = ${JSON.stringify(valid)}
invalid = ${JSON.stringify(invalid)}
print(json.dumps({"valid": check("CreateCallRequest", valid), "invalid": [check("CreateCallRequest", b) for b in invalid]}))
`;
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(doc), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ valid: true, invalid: [false, false, false, false] });
  });
});
