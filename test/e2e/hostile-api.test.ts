import { type IncomingHttpHeaders, request } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../dashboards/mod.ts';
import { templatePolicy } from '../helpers/env.ts';
import { testUp } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Hostile requests against `dockside up` as a real process (real NATS, embedded ClickHouse): each line of
 * the hardening list, answered with one problem body and a stable Dockside code. The process trusts its
 * loopback proxy, so each call names its own client in X-Forwarded-For: only the rate-limit test meets
 * the (tiny) limit, and that test shows the limit is keyed by the forwarded client.
 */
const up = testUp('hostile');
const RATE_MAX = 2;
const SSE_LIMIT = 64 * 1024;
const PII = { email: 'jane.roe@example.com', name: 'Jane Roe', phone: '+1 555 0100' };
let base: URL;
let nc: NatsConnection;

let clients = 0;
const freshClient = () => {
  clients++;
  return `10.9.${Math.floor(clients / 250)}.${(clients % 250) + 1}`;
};

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field and asserted
  readonly body: any;
}

function call(
  method: string,
  path: string,
  opts: { role?: string; body?: unknown; type?: string; host?: string; client?: string } = {},
): Promise<Answer> {
  const raw =
    opts.body === undefined || typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    host: opts.host ?? base.host,
    'x-forwarded-for': opts.client ?? freshClient(),
    ...(opts.role ? { authorization: up.auth.headersFor(opts.role).authorization } : {}),
    ...(raw === undefined ? {} : { 'content-type': opts.type ?? 'application/json' }),
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end(raw);
  });
}

const iso = () => new Date().toISOString();
const pick = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'wms.pick',
  occurredAt: iso(),
  shipmentId: `SHP-${id}`,
  warehouseId: 'WH-H1',
  sku: 'SKU-1',
  qtyOrdered: 10,
  qtyPicked: 7,
  ...extra,
});

/** The problem body every error has: a Dockside code, never a framework's. */
function expectProblem(a: Answer, status: number, code: string): void {
  expect(a.status, a.text.slice(0, 500)).toBe(status);
  expect(a.body?.error?.code).toBe(code);
  expect(typeof a.body?.error?.message).toBe('string');
  expect(a.body?.requestId).toMatch(/^req_/);
  expect(a.text).not.toContain('FST_');
}

async function metric(name: string): Promise<number | undefined> {
  const m = await call('GET', '/metrics', { role: 'admin' });
  const line = m.text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

beforeAll(async () => {
  base = new URL(
    await up.start({
      POLICY_FILE: templatePolicy,
      DOCKSIDE_TRUST_PROXY: '127.0.0.1',
      DOCKSIDE_RATE_LIMIT_MAX: String(RATE_MAX),
      DOCKSIDE_RATE_LIMIT_WINDOW_MS: '60000',
      DOCKSIDE_SSE_MAX_BUFFER_BYTES: String(SSE_LIMIT),
      DOCKSIDE_INGEST_WINDOW: '64',
    }),
  );
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await up.close();
}, 60_000);

describe('hostile requests against dockside up', () => {
  it('sends security headers on pages, the docs and the API (CSP without framing, nosniff)', async () => {
    for (const [path, role] of [
      ['/board', undefined],
      ['/signin', undefined],
      ['/docs/static/index.html', undefined],
      ['/api/exceptions', 'admin'],
      ['/api/nope', undefined],
    ] as const) {
      const a = await call('GET', path, role ? { role } : {});
      expect(a.status, path).toBeLessThan(500);
      expect(a.headers['x-content-type-options'], path).toBe('nosniff');
      expect(a.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
      expect(a.headers['x-frame-options'], path).toBe('DENY');
    }
    expect((await call('GET', '/board')).headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses a foreign Host (DNS rebinding) and serves the loopback names', async () => {
    for (const host of ['evil.example', `evil.example:${base.port}`, 'localhost.evil.example']) {
      const a = await call('GET', '/healthz', { host });
      expectProblem(a, 421, 'HOST_NOT_ALLOWED');
      expect(a.body.error.message).toContain('DOCKSIDE_ALLOWED_HOSTS');
    }
    for (const host of [`localhost:${base.port}`, `127.0.0.1:${base.port}`, `[::1]:${base.port}`]) {
      expect((await call('GET', '/healthz', { host })).status, host).toBe(200);
    }
  });

  it('answers deep JSON with 400 naming the limit, never a stack overflow', async () => {
    const deepObject = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const body of [deepObject, deepArray]) {
      const a = await call('POST', '/api/events', { role: 'ingest', body });
      expectProblem(a, 400, 'JSON_TOO_DEEP');
      expect(a.body.error.message).toContain('deeper than 64 levels');
    }
    const nd = await call('POST', '/api/events', {
      role: 'ingest',
      type: 'application/x-ndjson',
      body: `${deepObject}\n`,
    });
    expect(nd.status).toBe(400);
    expect(nd.body.results[0].code).toBe('JSON_TOO_DEEP');
    // Elsewhere too: the limit is the body parser's, before any route.
    const elsewhere = await call('POST', '/api/session', { body: deepArray });
    expectProblem(elsewhere, 400, 'JSON_TOO_DEEP');
  });

  it('truncates echoed values: a 1,000,000-character field comes back as 200 characters and its length', async () => {
    const a = await call('POST', '/api/events', {
      role: 'ingest',
      body: pick('echo-1', { shipmentId: 'S'.repeat(1_000_000) }),
    });
    expect(a.status).toBe(400);
    expect(a.text.length).toBeLessThan(5_000);
    const issue = a.body.issues.find((i: { field: string }) => i.field === 'shipmentId');
    expect(issue.value).toBe(`${'S'.repeat(200)}… (1000000 chars)`);
  });

  it('refuses event ids with surrounding or control characters (NATS would trim the dedupe id)', async () => {
    for (const id of [' x ', 'x ', '   ', 'a\u0000b']) {
      const a = await call('POST', '/api/events', { role: 'ingest', body: pick(id) });
      expect(a.status, JSON.stringify(id)).toBe(400);
      expect(a.body.issues.map((i: { field: string }) => i.field)).toEqual(['id']);
      expect(a.body.issues[0].expected).toContain('without leading or trailing white space');
    }
    expect((await call('POST', '/api/events', { role: 'ingest', body: pick('x y') })).status).toBe(202);
  });

  it('answers an event over the NATS max payload with 413 naming the limit (not a retryable 503)', async () => {
    const max = nc.info?.max_payload ?? 0;
    expect(max).toBeGreaterThan(0);
    const a = await call('POST', '/api/events', {
      role: 'ingest',
      body: pick('too-big-1', { note: 'x'.repeat(max + 1) }),
    });
    expect(a.status, a.text.slice(0, 300)).toBe(413);
    expect(a.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(a.body.reason).toContain(String(max));
  });

  it('maps bogus bodies, media types and unknown routes to Dockside codes', async () => {
    expectProblem(
      await call('POST', '/api/events', { role: 'ingest', body: '{"id": ' }),
      400,
      'JSON_INVALID',
    );
    expectProblem(await call('POST', '/api/events', { role: 'ingest', body: '' }), 400, 'BODY_MISSING');
    expectProblem(
      await call('POST', '/api/events', { role: 'ingest', body: '<a/>', type: 'application/xml' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(await call('GET', '/api/nothing-here'), 404, 'NOT_FOUND');
    const wrong = await call('DELETE', '/api/exceptions', { role: 'admin' });
    expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('GET');
    const badQuery = await call('GET', '/api/dead-letters?limit=0', { role: 'admin' });
    expectProblem(badQuery, 400, 'REQUEST_INVALID');
  });

  it('hides dead letters’ raw input from a read-only role and redacts it for the others', async () => {
    const id = `dl-${Date.now()}`;
    const raw = { ...pick(id), occurredAt: 'not a time', contact: { person: { ...PII } } };
    await jetstream(nc).publish(`${up.prefix}.in.hwms.wms.pick`, JSON.stringify(raw));
    const path = '/api/dead-letters?source=nats:hwms';
    const seen = await waitFor(
      'the dead letter',
      async () => {
        const a = await call('GET', path, { role: 'ops_exception_lead' });
        return a.body?.items?.length ? a : undefined;
      },
      30_000,
    );
    expect(seen.body.rawVisible).toBe(true);
    const shown = String(seen.body.items[0].raw);
    expect(shown).toContain(id);
    expect(shown).toContain('"email":"[redacted]"');
    for (const v of Object.values(PII)) expect(shown).not.toContain(v);

    const readOnly = await call('GET', path, { role: 'warehouse_supervisor' });
    expect(readOnly.status).toBe(200);
    expect(readOnly.body.rawVisible).toBe(false);
    expect(readOnly.body.items[0].raw).toBeNull();
    expect(readOnly.body.items[0].code).toBe(seen.body.items[0].code);
    expect(readOnly.text).not.toContain(PII.email);
  });

  it('redacts nested personal data in the log line of a rejected input', async () => {
    const a = await call('POST', '/api/events', {
      role: 'ingest',
      body: pick('pii 1 ', { contact: { person: { ...PII, phones: [{ phone: PII.phone }] } } }),
    });
    expect(a.status).toBe(400);
    const line = await waitFor('the rejected-input log line', () =>
      up.proc
        ?.stderr()
        .split('\n')
        .find((l) => l.includes(a.body.requestId) && l.includes('rejected input')),
    );
    const logged = JSON.parse(line);
    expect(logged.first.item.contact.person).toEqual({
      email: '[redacted]',
      name: '[redacted]',
      phone: '[redacted]',
      phones: [{ phone: '[redacted]' }],
    });
    for (const v of Object.values(PII)) expect(line).not.toContain(v);
  });

  it('sheds POST /api/events with 429 + Retry-After while the publish window is full', async () => {
    const batch = Array.from({ length: 3_000 }, (_, i) => pick(`shed-${Date.now()}-${i}`));
    let done = false;
    const big = call('POST', '/api/events', { role: 'ingest', body: batch }).finally(() => {
      done = true;
    });
    const shed: Answer[] = [];
    let other = 0;
    while (!done) {
      const a = await call('POST', '/api/events', { role: 'ingest', body: pick(`shed-probe-${other++}`) });
      if (a.status === 429) shed.push(a);
      else expect(a.status).toBe(202);
    }
    const first = await big;
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(batch.length);
    expect(shed.length).toBeGreaterThan(0);
    expectProblem(shed[0] as Answer, 429, 'INGEST_BUSY');
    expect(Number(shed[0]?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('drops a never-reading live-stream client before it holds more than the stated buffer', async () => {
    const sock: Socket = tcpConnect({ host: base.hostname, port: Number(base.port) });
    const token = up.auth.tokenFor(['admin']);
    sock.write(
      `GET /api/stream HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\n` +
        `X-Forwarded-For: ${freshClient()}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    // Read the response head (the subscription exists), then never read again.
    await new Promise<void>((resolve) => sock.once('data', () => resolve()));
    sock.pause();
    const long = (c: string, n: number) => c.repeat(n);
    let batches = 0;
    const postBatch = async () => {
      const lines = Array.from({ length: 400 }, (_, i) => {
        const id = `slow-${batches}-${i}-${long('i', 200)}`;
        return JSON.stringify(
          pick(id, { shipmentId: `S-${id}`, warehouseId: long('W', 200), sku: long('K', 480) }),
        );
      });
      batches++;
      const a = await call('POST', '/api/events', {
        role: 'ingest',
        type: 'application/x-ndjson',
        body: lines.join('\n'),
      });
      expect(a.status).toBe(200);
    };
    const dropped = await waitFor(
      'the slow client to be dropped',
      async () => {
        const n = await metric('dockside_live_slow_clients_dropped_total');
        if (n !== undefined && n >= 1) return n;
        if (batches < 60) await postBatch();
        return undefined;
      },
      240_000,
    );
    sock.destroy();
    expect(dropped).toBe(1);
    const buffered = (await metric('dockside_live_drop_buffered_bytes_max')) ?? -1;
    // The drop comes before the write that would pass the limit: the socket never held more.
    expect(buffered).toBeLessThanOrEqual(SSE_LIMIT);
    expect(buffered).toBeGreaterThan(SSE_LIMIT / 2);
    const line = up.proc
      ?.stderr()
      .split('\n')
      .find((l) => l.includes('live stream client too far behind'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ limit: SSE_LIMIT, writableLength: buffered });
  }, 300_000);

  it('answers 429 on every route once a client passes the limit, stating the window, keyed by the forwarded client', async () => {
    const routes = routeTable();
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) {
      const path = r.url.replace(/:[A-Za-z]+/g, 'x').replace('*', 'x');
      const client = freshClient();
      for (let i = 0; i < RATE_MAX; i++) await call(r.method, path, { client });
      const a = await call(r.method, path, { client });
      expect(a.status, `${r.method} ${path}`).toBe(429);
      expect(Number(a.headers['retry-after']), `${r.method} ${path}`).toBeGreaterThan(0);
      if (r.method !== 'HEAD') {
        expectProblem(a, 429, 'RATE_LIMITED');
        expect(a.body.error.message).toMatch(
          /^rate limit: at most 2 requests per 1 min from one client; retry in \d+ s$/,
        );
      }
    }
    // Another client behind the same proxy is not limited by the first one's requests.
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});
