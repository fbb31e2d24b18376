/**
 * The OpenAPI 3.1 document of the REST API, served at /v1/openapi.json. Every body schema comes
 * from schemas.ts through z.toJSONSchema (JSON Schema 2020-12, OpenAPI 3.1's dialect): requests as
 * the server reads them (io: input, fields with defaults optional), responses as it writes them.
 */
import { z } from 'zod';
import * as s from './schemas.js';

const REQUESTS = {
  CreateCallRequest: s.createCallRequest, TransferRequest: s.transferRequest, HangupRequest: s.hangupRequest,
  DtmfRequest: s.dtmfRequest, PlayRequest: s.playRequest,
} as const;
const RESPONSES = {
  CreateCallResponse: s.createCallResponse, MediaStats: s.mediaStats, Call: s.callView, CallList: s.callList,
  TransferResult: s.transferResponse, PlayResponse: s.playResponse, Ok: s.okResponse, Error: s.errorResponse,
  StatusCallback: s.statusCallbackBody,
} as const;

type Json = Record<string, unknown>;

function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io, target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Json> };
  // Components are plain schemas in the document's dialect: no $schema / $id of their own.
  return Object.fromEntries(Object.entries(out.schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest]));
}

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string): Json => ({ description, content: { 'application/json': { schema: ref(id) } } });
const error = (description: string): Json => json('Error', description);
const body = (id: string, required = true): Json => ({ required, content: { 'application/json': { schema: ref(id) } } });
const idParam = { name: 'id', in: 'path', required: true, description: 'The call\'s id (its SIP Call-ID)', schema: { type: 'string' } };
const common = { 401: error('Missing or wrong bearer token') };

function callAction(operationId: string, summary: string, request: string | undefined, ok: Json, extra: Record<string, Json> = {}): Json {
  return {
    post: {
      operationId, summary, parameters: [idParam],
      ...(request ? { requestBody: body(request, request !== 'HangupRequest') } : {}),
      responses: { 200: ok, 400: error('Invalid request body (the field is named)'), 404: error('No live call with this id'), 409: error('Not possible in the call\'s state'), ...common, ...extra },
    },
  };
}

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'trunkgate call control', version: '1.0.0', description: 'Outbound calls and live call control of a trunkgate SIP gateway. Every request carries Authorization: Bearer <api.token>.' },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ bearer: [] }],
    paths: {
      '/v1/calls': {
        post: {
          operationId: 'createCall', summary: 'Place an outbound call with an agent on it',
          requestBody: body('CreateCallRequest'),
          responses: {
            202: json('CreateCallResponse', 'The call is being placed; its progress goes to status_callback'),
            400: error('Invalid request (the field is named), unknown trunk or a trunk without outbound settings'),
            503: error('The trunk is full (max_calls, both directions) or the gateway is shutting down; Retry-After says when to try again'),
            ...common,
          },
          callbacks: {
            status: {
              '{$request.body#/status_callback}': {
                post: { requestBody: body('StatusCallback'), responses: { 200: { description: 'Any 2xx is taken as received' } } },
              },
            },
          },
        },
        get: { operationId: 'listCalls', summary: 'Live calls (both directions, including outbound calls still ringing)', responses: { 200: json('CallList', 'The live calls'), ...common } },
      },
      '/v1/calls/{id}': {
        get: { operationId: 'getCall', summary: 'One live call', parameters: [idParam], responses: { 200: json('Call', 'The call'), 404: error('No live call with this id'), ...common } },
      },
      '/v1/calls/{id}/hangup': callAction('hangupCall', 'End the call (CANCEL while an outbound call rings, else BYE)', 'HangupRequest', json('Ok', 'The call is ending')),
      '/v1/calls/{id}/transfer': callAction('transferCall', 'Transfer the caller to a human; answers with the outcome', 'TransferRequest', json('TransferResult', 'How the transfer ended')),
      '/v1/calls/{id}/dtmf': callAction('sendDtmf', 'Send DTMF digits to the far end (RFC 4733 events)', 'DtmfRequest', json('Ok', 'The digits were sent')),
      '/v1/calls/{id}/play': callAction('playAudio', 'Play speech or a WAV file to the far end', 'PlayRequest', json('PlayResponse', 'Queued; queued_ms is the audio now waiting to be played')),
      '/v1/openapi.json': { get: { operationId: 'openApi', summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'api.token from the gateway\'s configuration' } },
      schemas: { ...components(REQUESTS, 'input'), ...components(RESPONSES, 'output') },
    },
  };
}
