/**
 * The OpenAPI 3.1 document of /api/v1, generated from the operations and their zod
 * schemas (lib/api/operations.ts) with zod's own JSON Schema output (draft 2020-12,
 * which is OpenAPI 3.1's schema dialect). Named schemas (`.meta({ id })`) become
 * components; nothing here is written by hand but the words.
 */
import { z } from 'zod';
import { errorBodySchema } from './errors';
import { API_BASE, OPERATIONS, type ApiOperation } from './operations';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
  security: Record<string, string[]>[];
  tags: { name: string }[];
}

const ABILITY_WORDS = { view: 'any role (viewer, operator, admin)', operate: 'operator or admin', 'manage-users': 'admin' } as const;

/** Named schemas found while converting, by id, so each is written once under components. */
class Schemas {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' });
    // Named schemas come out in $defs; in the document they are components.
    const out = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const { $defs, $schema: _dialect, id: _id, $id: _uri, ...rest } = out;
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] ??= def;
    // A named schema at the top is a component too, referred to.
    const id = z.globalRegistry.get(schema)?.id;
    if (typeof id === 'string') {
      this.components[id] ??= rest;
      return { $ref: `#/components/schemas/${id}` };
    }
    return rest;
  }
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

function operationObject(op: ApiOperation, schemas: Schemas): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = pathParams(op.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (op.query) {
    const shape = op.query.shape as Record<string, z.ZodType>;
    for (const [name, field] of Object.entries(shape)) {
      const schema = schemas.convert(field, 'input');
      const required = !field.safeParse(undefined).success;
      parameters.push({ name, in: 'query', required, schema, ...(field.description ? { description: field.description } : {}) });
    }
  }
  if (op.idempotent) {
    parameters.push({
      name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
      description: 'A retry with the same key and body gets the first answer again (header Idempotent-Replayed: true) instead of a second task.',
    });
  }
  const error = { description: 'Refused: see error.code', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    description: `Needs ${ABILITY_WORDS[op.ability]}.`,
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.convert(op.body, 'input') } } } } : {}),
    responses: {
      [String(op.status)]: { description: 'Done', content: { 'application/json': { schema: schemas.convert(op.response, 'output') } } },
      400: error, 401: error, 403: error, 404: error, 409: error,
      ...(op.idempotent ? { 422: error } : {}),
      500: error,
    },
  };
}

/** The document, with `origin` (e.g. http://127.0.0.1:3000) as its server. */
export function buildOpenApi(origin?: string): OpenApiDocument {
  const schemas = new Schemas();
  schemas.convert(errorBodySchema, 'output');
  const paths: OpenApiDocument['paths'] = {};
  for (const op of OPERATIONS) {
    (paths[op.path] ??= {})[op.method.toLowerCase()] = operationObject(op, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'redis-dts API',
      version: '1',
      description: 'Tasks and instances of the redis-dts console. Authenticate with an API token (Account page, or `npm run token`) '
        + 'sent as `Authorization: Bearer <token>`; a token has a role like a user. Errors are `{ "error": { "code", "message" } }`. See docs/api.md.',
    },
    servers: [{ url: `${origin ?? ''}${API_BASE}` }],
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (dts_…)' } },
    },
    security: [{ bearer: [] }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
  };
}
