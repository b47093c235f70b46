import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { routeTable } from '../../dashboards/mod.ts';
import {
  errorBodySchema,
  isDocumented,
  openApiDocument,
  openApiPath,
  plannerApiDocument,
} from '../../dashboards/openapi.ts';
import { routeDocs } from '../../dashboards/openapi-routes.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { repoRoot } from '../helpers/env.ts';
import { axe, pageErrors, screenshot } from '../helpers/ui.ts';
import { listenLocal } from '../helpers/up.ts';

/** The parts of OpenAPI 3.1 this document relies on, checked as the specification words them. */
const schemaObject = z.record(z.string(), z.unknown());
const refObject = z.strictObject({ $ref: z.string().startsWith('#/') });
const parameterObject = z.object({
  name: z.string().min(1),
  in: z.enum(['path', 'query', 'header', 'cookie']),
  required: z.boolean(),
  description: z.string().optional(),
  schema: schemaObject,
});
const mediaTypes = z.record(z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/), z.object({ schema: schemaObject }));
const responseObject = z.union([
  refObject,
  z.object({ description: z.string().min(1), content: mediaTypes.optional() }),
]);
const operationObject = z.object({
  operationId: z.string().regex(/^[a-z]+[A-Za-z0-9]*$/),
  summary: z.string().min(1),
  description: z.string().min(1),
  tags: z.array(z.string()).length(1),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  parameters: z.array(parameterObject).optional(),
  requestBody: z.object({ required: z.boolean(), content: mediaTypes }).optional(),
  responses: z.record(z.string().regex(/^([1-5]\d\d|default)$/), responseObject),
  'x-permission': z.string(),
  'x-granted-to': z.array(z.string()).min(1),
});
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const openApi31 = z.object({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: z.object({ title: z.string().min(1), version: z.string().min(1), description: z.string() }),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  tags: z.array(z.object({ name: z.string(), description: z.string() })),
  paths: z.record(
    z.string().startsWith('/'),
    z.partialRecord(z.enum(methods), operationObject).refine((item) => Object.keys(item).length > 0),
  ),
  components: z.object({
    securitySchemes: z.record(
      z.string(),
      z.union([
        z.object({ type: z.literal('http'), scheme: z.string(), bearerFormat: z.string().optional() }),
        z.object({ type: z.literal('apiKey'), in: z.enum(['query', 'header', 'cookie']), name: z.string() }),
      ]),
    ),
    schemas: z.record(z.string().regex(/^[a-zA-Z0-9.\-_]+$/), schemaObject),
    responses: z.record(z.string(), responseObject),
  }),
});
type OpenApi = z.infer<typeof openApi31>;

type Operation = z.infer<typeof operationObject>;

const version = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))).version;

function operations(doc: OpenApi): { key: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, path: p, op })),
  );
}

/** Every `$ref` anywhere in the document. */
function refs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refs);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

function resolve(doc: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? Reflect.get(node, key) : undefined),
      doc,
    );
}

describe('the OpenAPI document', () => {
  const raw = openApiDocument({ version });
  const doc = openApi31.parse(raw);
  const ops = operations(doc);

  it('lists exactly the access table routes but the web pages, each with its method and permission', () => {
    const documented = routeTable().filter(isDocumented);
    expect(ops.map((o) => o.key).sort()).toEqual(
      documented.map((r) => `${r.method} ${openApiPath(r.url)}`).sort(),
    );
    for (const r of documented) {
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase() as 'get'];
      const where = `${r.method} ${r.url}`;
      expect(op?.['x-permission'], where).toBe(r.permission);
      if (r.permission === 'public') expect(op?.security, where).toEqual([]);
      else expect(op?.security, where).toBeUndefined();
      const words =
        r.permission === 'public'
          ? 'public (no token)'
          : r.permission === 'authenticated'
            ? 'any signed-in caller'
            : `**Permission:** \`${r.permission}\``;
      expect(op?.description, where).toContain(words);
    }
    // What is left out is public and outside the API: pages, their assets, the docs UI.
    for (const r of routeTable().filter((x) => !isDocumented(x))) {
      expect(r.permission).toBe('public');
      expect(r.url.startsWith('/api/')).toBe(false);
    }
    expect(ops.length).toBeGreaterThan(30);
    // Who holds a permission, in the policy's words.
    expect(doc.paths['/api/approvals/{id}/approve']?.post?.['x-granted-to']).toEqual([
      "the policy's rbac.can_approve_writeback roles",
      'admin',
    ]);
  });

  it('documents only routes that exist in the table', () => {
    const table = new Set(routeTable().map((r) => `${r.method} ${r.url}`));
    expect(Object.keys(routeDocs).filter((k) => !table.has(k))).toEqual([]);
  });

  it('is internally valid: path parameters declared, operation ids unique, every $ref resolves', () => {
    for (const { key, path: p, op } of ops) {
      const inPath = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
      expect(
        declared.map((x) => x.name),
        key,
      ).toEqual(inPath);
      for (const x of declared) expect(x.required, key).toBe(true);
      const names = (op.parameters ?? []).map((x) => `${x.in}:${x.name}`);
      expect(new Set(names).size, key).toBe(names.length);
    }
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const all = refs(raw);
    expect(all.length).toBeGreaterThan(50);
    for (const r of new Set(all)) expect(resolve(raw, r), r).toBeDefined();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const { key, op } of ops) expect(tags.has(op.tags[0] ?? ''), key).toBe(true);
  });

  it('lists the query parameters of a route that has a query schema, from that schema', () => {
    const params = doc.paths['/api/approvals']?.get?.parameters ?? [];
    const byName = new Map(params.map((p) => [p.name, p]));
    expect(byName.get('mine')).toMatchObject({
      in: 'query',
      required: false,
      schema: { enum: ['0', '1', 'true', 'false'] },
    });
    expect(byName.get('status')).toMatchObject({
      in: 'query',
      required: false,
      schema: { enum: ['pending', 'approved', 'rejected', 'expired', 'withdrawn'] },
    });
    expect(byName.get('limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 100,
    });
    const audit = doc.paths['/api/audit']?.get?.parameters?.find((p) => p.name === 'from');
    expect(audit?.schema).toEqual({ type: 'string', format: 'date-time' });
  });

  it('describes path parameters and JSON bodies from the handlers’ schemas', () => {
    const approve = doc.paths['/api/approvals/{id}/approve']?.post;
    expect(approve?.parameters?.[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^ap-[0-9a-f]+-\\d+$' },
    });
    expect(approve?.requestBody?.content['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['reason'],
      additionalProperties: false,
      properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
    });
    const events = doc.paths['/api/events']?.post?.requestBody?.content;
    expect(Object.keys(events ?? {})).toEqual(['application/json', 'application/x-ndjson']);
    const pick = z
      .object({ properties: z.record(z.string(), z.unknown()), required: z.array(z.string()) })
      .parse(doc.components.schemas['Event.wms.pick']);
    expect(pick.required).toEqual(
      expect.arrayContaining(['id', 'type', 'occurredAt', 'shipmentId', 'sku', 'qtyPicked']),
    );
  });

  it('names the bearer JWT scheme and answers errors with the one error body', () => {
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    );
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    const errorRef = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    for (const [status, name] of [
      [400, 'BadRequest'],
      [401, 'Unauthorized'],
      [403, 'Forbidden'],
      [404, 'NotFound'],
      [409, 'Conflict'],
    ] as const) {
      expect(doc.components.responses[name], name).toMatchObject({ content: errorRef });
      expect(
        ops.filter((o) => o.op.responses[String(status)]),
        `some route answers ${status}`,
      ).not.toEqual([]);
    }
    const approve = doc.paths['/api/approvals/{id}/approve']?.post?.responses;
    for (const status of ['400', '401', '403', '404', '409']) {
      expect(approve?.[status], status).toHaveProperty('$ref');
    }
    expect(doc.components.schemas.Error).toMatchObject({ required: ['error', 'requestId'] });
  });
});

describe('/docs on a running Dockside', () => {
  let t: TestDockside;
  let base: string;
  beforeAll(async () => {
    t = await startTestDockside('openapi');
    base = await listenLocal(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the document as JSON and YAML without a token', async () => {
    const json = await t.dockside.server.inject({ url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(openApiDocument({ version }));
    const yaml = await t.dockside.server.inject({ url: '/docs/yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(parseYaml(yaml.body)).toEqual(json.json());
  });

  it('serves the planner API document (the forecasts operations of the whole one) to forecast readers', async () => {
    expect((await t.dockside.server.inject({ url: '/api/forecasts/openapi.json' })).statusCode).toBe(401);
    const res = await t.inject({ url: '/api/forecasts/openapi.json' }, 'planner');
    expect(res.statusCode).toBe(200);
    const planner = openApi31.parse(res.json());
    expect(res.json()).toEqual(plannerApiDocument({ version }));
    const whole = openApi31.parse(openApiDocument({ version }));
    const forecastPaths = Object.keys(whole.paths).filter(
      (p) => whole.paths[p]?.get?.tags[0] === 'forecasts',
    );
    expect(Object.keys(planner.paths).sort()).toEqual(forecastPaths.sort());
    expect(forecastPaths).toContain('/api/forecasts/trucks');
    for (const p of forecastPaths) expect(planner.paths[p]).toEqual(whole.paths[p]);
    // Every answer is described by a schema, not an empty object.
    const ok = planner.paths['/api/forecasts']?.get?.responses['200'];
    expect(ok).toHaveProperty('content.application/json.schema.anyOf');
  });

  it('leaves out only routes that serve a page or an asset', async () => {
    const left = routeTable().filter((r) => !isDocumented(r) && r.method === 'GET');
    expect(left.length).toBeGreaterThan(5);
    for (const r of left) {
      const url = r.url.replace(/:[A-Za-z]+/g, 'probe-id').replace('*', 'index.css');
      const res = await t.dockside.server.inject({ url });
      const where = `${r.url}: ${res.statusCode} ${String(res.headers['content-type'])}`;
      if (res.statusCode === 302) {
        expect(String(res.headers.location), where).toMatch(/^\/docs\/?$/);
        continue;
      }
      expect(res.statusCode, where).toBe(200);
      expect(String(res.headers['content-type']), where).toMatch(
        /^text\/(html|css|javascript)|^application\/javascript/,
      );
    }
  });

  it('agrees with the validation: a value outside a documented enum is a 400 naming that parameter', async () => {
    const doc = openApi31.parse(openApiDocument({ version }));
    let checked = 0;
    for (const { key, path: p, op } of operations(doc)) {
      if (!key.startsWith('GET ') || p.includes('{')) continue;
      for (const param of op.parameters ?? []) {
        if (!Array.isArray(param.schema.enum)) continue;
        const res = await t.inject({ url: `${p}?${param.name}=not-an-option` });
        const where = `${key}?${param.name}: ${res.statusCode} ${res.body}`;
        expect(res.statusCode, where).toBe(400);
        const body = errorBodySchema.parse(res.json());
        expect(
          body.error.issues?.map((i) => i.field),
          where,
        ).toContain(param.name);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(8);
    // A body the schema refuses: the documented required `reason` is what the handler asks for.
    const res = await t.inject({
      method: 'POST',
      url: '/api/approvals/ap-00ff-1/approve',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(res.statusCode).toBe(400);
    expect(errorBodySchema.parse(res.json()).error.issues?.[0]?.field).toBe('reason');
  });

  it('renders every operation in Swagger UI in chromium, loading nothing from another origin', async () => {
    const doc = openApi31.parse(openApiDocument({ version }));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const problems = pageErrors(page);
      const res = await page.goto(`${base}/docs`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      expect(await page.locator('.opblock').count()).toBe(operations(doc).length);
      expect(await page.locator('.information-container .title').textContent()).toContain('Dockside API');
      expect(await page.locator('.errors-wrapper').count()).toBe(0);
      // Keyboard only: Tab reaches an operation's toggle (with a focus outline) and Enter opens it.
      const focused = () =>
        page.evaluate(() => {
          const e = document.activeElement;
          return e?.classList.contains('opblock-summary-control') &&
            e.getAttribute('aria-expanded') === 'false'
            ? getComputedStyle(e).outlineStyle
            : undefined;
        });
      let outline: string | undefined;
      for (let i = 0; i < 20 && outline === undefined; i++) {
        await page.keyboard.press('Tab');
        outline = await focused();
      }
      expect(outline).toBeDefined();
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded'))).toBe('true');
      // An operation opens with its parameters and body schema, from the document.
      const approve = page.locator('#operations-approvals-postApprovalsByIdApprove');
      await approve.locator('.opblock-summary-control').click();
      await approve.locator('.parameters-container').waitFor();
      expect(await approve.locator('.opblock-description-wrapper').first().textContent()).toContain(
        'approvals:decide',
      );
      await screenshot(page, 'docs-1440x900.png');
      expect(requests.length).toBeGreaterThan(4);
      expect(requests.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  // A generous limit: axe over ~45 rendered operations takes a while on two shared cores.
  it('has no serious or critical axe violation, light or dark: reading, an operation open, trying it out, authorizing', async () => {
    const browser = await launchChromium();
    try {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme });
        // The page's CSP allows no injected script tag: axe is evaluated through the DevTools protocol.
        const audit = async (state: string) =>
          expect(await axe(page), `${colorScheme}, ${state}`).toEqual([]);
        await page.goto(`${base}/docs`);
        await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
        expect(await page.locator('html').getAttribute('class')).toBe(
          colorScheme === 'dark' ? 'dark-mode' : null,
        );
        await audit('reading');
        const approve = page.locator('#operations-approvals-postApprovalsByIdApprove');
        await approve.locator('.opblock-summary-control').click();
        await approve.locator('.parameters-container').waitFor();
        await audit('an operation open');
        await approve.locator('.try-out__btn').click();
        await approve.locator('textarea.body-param__text').waitFor();
        await audit('trying it out');
        if (colorScheme === 'light') {
          await page.locator('.auth-wrapper .btn.authorize').click();
          await page.locator('.modal-ux').waitFor();
          await audit('the authorize dialog');
        }
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }, 180_000);
});
