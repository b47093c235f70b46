import { z } from 'zod';
import { grants, type Permission, permissions, type RoleGroup } from '../core/mod.ts';
import { type RouteEntry, type RouteRule, routeTable } from './access.ts';
import {
  componentSchemas,
  type ErrorStatus,
  type JsonSchema,
  type MediaSchema,
  type Reply,
  type RouteDoc,
  routeDocs,
} from './openapi-routes.ts';
import { SESSION_COOKIE } from './session.ts';

/**
 * The OpenAPI 3.1 document of the whole HTTP API, built from the access table (every route and its
 * permission) and openapi-routes.ts (the zod schemas each handler validates with, turned into JSON Schema).
 * Pure: no Fastify here; docs-routes.ts serves it.
 */

/** The API's error body (dashboards/errors.ts sendReject and the error handler answer it). */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('A stable code, e.g. REQUEST_INVALID, UNAUTHENTICATED, FORBIDDEN'),
    message: z.string().describe('What went wrong, e.g. "status: got \\"x\\", expected one of …"'),
    issues: z
      .array(
        z.object({
          field: z.string().describe('Dotted path of the offending field; empty for the whole input'),
          value: z.unknown().optional().describe('The value received (absent when the field was missing)'),
          expected: z.string().describe('What the API expected there'),
        }),
      )
      .optional()
      .describe('One entry per bad field (400)'),
  }),
  requestId: z.string(),
});

/** Public routes that answer data rather than a page or an asset: documented although not under /api/. */
const PUBLIC_ENDPOINTS = new Set(['/healthz', '/docs/json', '/docs/yaml']);

/** Web app pages, their assets and the docs UI are left out; every other table route is documented. */
export function isDocumented(route: Pick<RouteEntry, 'url' | 'permission'>): boolean {
  return route.url.startsWith('/api/') || route.permission !== 'public' || PUBLIC_ENDPOINTS.has(route.url);
}

/** `/api/approvals/:id/approve` → `/api/approvals/{id}/approve`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParamNames(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
}

/** `POST /api/approvals/:id/approve` → `postApprovalsByIdApprove`. */
function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s && s !== 'api')
    .flatMap((s) => (s.startsWith(':') ? ['by', s.slice(1)] : s.split(/[^A-Za-z0-9]+/)))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Tags in the order the docs show them. */
const TAGS: readonly (readonly [name: string, description: string])[] = [
  ['exceptions', 'The exception board: list, counts, read, evidence, assign, resolve, live feed'],
  ['incidents', 'Exceptions with one probable cause, grouped: list, read, assign or resolve all members'],
  ['approvals', 'The approvals inbox: pending steps, approve, reject'],
  ['write-back', 'CRM writes, rollback, re-drive, manual trigger, shadow policy'],
  ['customers', 'The customer directory: owners, regions, CRM accounts'],
  ['forecasts', 'Lane volume forecasts, backtested accuracy, forecast-delta alerts'],
  ['ingest', 'Canonical events in; dead letters and data quality'],
  ['audit', 'The hash-chained decision log'],
  ['policy', 'The governance policy in force'],
  ['operations', 'Health, metrics, KPIs and operations'],
  ['session', 'Sign-in: who am I, the browser session cookie'],
  ['docs', 'This document'],
];

/** URL prefix → tag, first match wins; otherwise the first path segment after /api. */
const TAG_PREFIXES: readonly (readonly [prefix: string, tag: string])[] = [
  ['/api/exceptions/:id/writeback', 'write-back'],
  ['/api/exceptions', 'exceptions'],
  ['/api/stream', 'exceptions'],
  ['/api/incidents', 'incidents'],
  ['/api/approvals', 'approvals'],
  ['/api/writebacks', 'write-back'],
  ['/api/writeback', 'write-back'],
  ['/api/events', 'ingest'],
  ['/api/dead-letters', 'ingest'],
  ['/api/quality', 'ingest'],
  ['/api/session', 'session'],
  ['/api/me', 'session'],
  ['/api/kpis', 'operations'],
  ['/api/ops', 'operations'],
  ['/healthz', 'operations'],
  ['/metrics', 'operations'],
];

function tagOf(url: string): string {
  const hit = TAG_PREFIXES.find(([prefix]) => url === prefix || url.startsWith(`${prefix}/`));
  return hit?.[1] ?? url.split('/').filter((s) => s && s !== 'api')[0] ?? 'other';
}

const GROUP_LABELS: Readonly<Record<RoleGroup, string>> = {
  triggerers: "the policy's rbac.can_trigger_automation roles",
  approvers: "the policy's rbac.can_approve_writeback roles",
  readOnly: "the policy's rbac.read_only_roles",
  planner: 'planner',
  admin: 'admin',
  ingest: 'ingest',
  monitor: 'monitor',
};

const isPermission = (rule: RouteRule): rule is Permission =>
  (permissions as readonly string[]).includes(rule);

/** Who passes the access hook for a rule, in words: the permission's role groups (core/roles.ts grants). */
function grantedTo(rule: RouteRule): string[] {
  if (rule === 'public') return ['anyone'];
  if (rule === 'authenticated') return ['any signed-in caller'];
  return isPermission(rule) ? grants[rule].map((g) => GROUP_LABELS[g]) : [];
}

function accessText(rule: RouteRule): string {
  if (rule === 'public') return '**Access:** public (no token).';
  if (rule === 'authenticated') return '**Access:** any signed-in caller.';
  return `**Permission:** \`${rule}\`, granted to ${grantedTo(rule).join(', ')}.`;
}

/** JSON Schema of a zod schema as a request sees it (defaults make fields optional), for OpenAPI 3.1. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return tidy(rest) as JsonSchema;
}

/** Drops the long regexes zod adds beside a `format` that already says it (date-time, email). */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).filter(
    ([k]) => !(k === 'pattern' && 'format' in node && ['date-time', 'email'].includes(String(node.format))),
  );
  return Object.fromEntries(entries.map(([k, v]) => [k, k === 'default' || k === 'const' ? v : tidy(v)]));
}

const mediaSchema = (s: MediaSchema): JsonSchema => (s instanceof z.ZodType ? jsonSchemaOf(s) : s);

const objectSchema = z.object({
  type: z.literal('object'),
  properties: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  required: z.array(z.string()).default([]),
});

function parameters(key: string, where: 'path' | 'query', schema: z.ZodType): JsonSchema[] {
  const parsed = objectSchema.safeParse(jsonSchemaOf(schema));
  if (!parsed.success) throw new Error(`${key}: the ${where} schema is not an object schema`);
  return Object.entries(parsed.data.properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || parsed.data.required.includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function pathParameters(key: string, url: string, schema: z.ZodType | undefined): JsonSchema[] {
  const names = pathParamNames(url);
  if (!schema) return names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const params = parameters(key, 'path', schema);
  const declared = params.map((p) => String(p.name));
  if (declared.join() !== names.join()) {
    throw new Error(`${key}: the params schema names [${declared}] but the url has [${names}]`);
  }
  return params;
}

const ERROR_REPLIES: Readonly<Record<ErrorStatus, readonly [name: string, description: string]>> = {
  400: [
    'BadRequest',
    'The request is invalid: `issues` names each field, the value received and what was expected',
  ],
  401: ['Unauthorized', 'No token, or a bad, expired or malformed one (see WWW-Authenticate)'],
  403: [
    'Forbidden',
    "The caller's roles lack the permission, the object is not theirs, or a cookie request is not JSON",
  ],
  404: ['NotFound', 'No such object, or not one the caller may see'],
  409: [
    'Conflict',
    'The object is not in a state that allows this (moved on, already decided, outside its window)',
  ],
  429: ['TooManyRequests', 'Rate limited: retry later'],
  503: ['Unavailable', 'A target is unavailable for now: retry later'],
};

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function errorStatusesOf(entry: RouteEntry, doc: RouteDoc | undefined): ErrorStatus[] {
  const set = new Set<ErrorStatus>(doc?.errors ?? []);
  if (doc?.params || doc?.query || doc?.body) set.add(400);
  if (entry.permission !== 'public') set.add(401);
  // 403: a permission the roles lack, or a cookie request other than GET that is not JSON (CSRF).
  if (entry.permission !== 'public' && (entry.permission !== 'authenticated' || !SAFE.has(entry.method))) {
    set.add(403);
  }
  if (pathParamNames(entry.url).length > 0) set.add(404);
  return [...set].sort((a, b) => a - b);
}

function reply(r: Reply): JsonSchema {
  const content = r.content
    ? Object.fromEntries(Object.entries(r.content).map(([type, s]) => [type, { schema: mediaSchema(s) }]))
    : undefined;
  return { description: r.description, ...(content ? { content } : {}) };
}

function operation(entry: RouteEntry): JsonSchema {
  const key = `${entry.method} ${entry.url}`;
  const doc = routeDocs[key];
  const params = [
    ...pathParameters(key, entry.url, doc?.params),
    ...(doc?.query ? parameters(key, 'query', doc.query) : []),
  ];
  const body = Object.entries(doc?.body ?? {}).map(
    ([type, s]) => [type, { schema: mediaSchema(s) }] as const,
  );
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(doc?.replies ?? { 200: { description: 'OK' } })) {
    responses[status] = reply(r);
  }
  for (const status of errorStatusesOf(entry, doc)) {
    responses[status] ??= { $ref: `#/components/responses/${ERROR_REPLIES[status][0]}` };
  }
  responses.default = { $ref: '#/components/responses/Failed' };
  return {
    operationId: operationId(entry.method, entry.url),
    summary: doc?.summary ?? key,
    description: [doc?.description, accessText(entry.permission)].filter(Boolean).join('\n\n'),
    tags: [tagOf(entry.url)],
    ...(entry.permission === 'public' ? { security: [] } : {}),
    'x-permission': entry.permission,
    'x-granted-to': grantedTo(entry.permission),
    ...(params.length ? { parameters: params } : {}),
    ...(body.length ? { requestBody: { required: true, content: Object.fromEntries(body) } } : {}),
    responses,
  };
}

const errorContent = () => ({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });

function components(): JsonSchema {
  const responses: Record<string, JsonSchema> = {
    Failed: { description: 'Any other failure (5xx), same body', content: errorContent() },
  };
  for (const [status, [name, description]] of Object.entries(ERROR_REPLIES)) {
    responses[name] = {
      description: `${status}: ${description}`,
      content: errorContent(),
      ...(status === '401'
        ? {
            headers: {
              'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="dockside"…' },
            },
          }
        : {}),
    };
  }
  return {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A token from your identity provider, or `dockside token --user U --role R` in development',
      },
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: SESSION_COOKIE,
        description:
          "The web app's session (POST /api/session sets it; a signed-in browser sends it from this page too). Requests other than GET must be application/json.",
      },
    },
    schemas: {
      Error: jsonSchemaOf(errorBodySchema),
      ...Object.fromEntries(Object.entries(componentSchemas).map(([name, s]) => [name, mediaSchema(s)])),
    },
    responses,
  };
}

export interface OpenApiOptions {
  /** The API's version (package.json). */
  readonly version: string;
  /** The routes to document; default the access table. */
  readonly routes?: readonly RouteEntry[];
}

export function openApiDocument(opts: OpenApiOptions): JsonSchema {
  return documentOf(opts, 'Dockside API', [
    'Every route of the Dockside HTTP API, generated from the access table and the zod schemas the routes validate with.',
    'Authenticate with `Authorization: Bearer <JWT>` (or the session cookie the web app sets at /signin). Each operation names the permission it needs (`x-permission`) and who holds it; the route × role matrix is in docs/writeback.md.',
  ]);
}

/**
 * The planner API alone (the `forecasts` tag), served at /api/forecasts/openapi.json for planners' tools:
 * the same operations as in the whole document, generated the same way.
 */
export function plannerApiDocument(opts: OpenApiOptions): JsonSchema {
  const routes = (opts.routes ?? routeTable()).filter((r) => tagOf(r.url) === 'forecasts');
  return documentOf({ ...opts, routes }, 'Dockside planner API: lane volume forecasts', [
    "Daily lane volume forecasts with calibrated prediction intervals, each lane's backtested accuracy, reconciled warehouse and network totals, trucks per lane and day, and forecast alerts. Generated from the zod schemas the routes validate with and answer by; the whole API is at /docs/json.",
    'Authenticate with `Authorization: Bearer <JWT>` carrying a role with `forecasts:read` (planner, or any role the policy lets read). Rate limited per client (429 with retry-after).',
  ]);
}

function documentOf(opts: OpenApiOptions, title: string, intro: readonly string[]): JsonSchema {
  const routes = (opts.routes ?? routeTable()).filter(isDocumented);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const entry of routes) {
    const path = openApiPath(entry.url);
    paths[path] = { ...paths[path], [entry.method.toLowerCase()]: operation(entry) };
  }
  const used = new Set(routes.map((r) => tagOf(r.url)));
  const tags = TAGS.filter(([name]) => used.has(name)).map(([name, description]) => ({ name, description }));
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: opts.version,
      description: [
        ...intro,
        'Errors share one body: `{ error: { code, message, issues? }, requestId }`.',
      ].join('\n\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ bearer: [] }, { session: [] }],
    tags,
    paths,
    components: components(),
  };
}
