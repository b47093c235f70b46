import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/mod.ts';
import { replyCache } from '../../forecasting/http-cache.ts';
import { registerForecastRoutes } from '../../forecasting/mod.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';

/**
 * The planner API's reply cache on a real Fastify: what is kept, for how long, one computation per key
 * under concurrent misses, and (on a whole Dockside) that a kept answer still passes the access hook.
 */
function world(opts: { ttlMs?: number; maxEntries?: number } = {}) {
  let clock = 0;
  let computed = 0;
  let status = 200;
  let gate: Promise<void> = Promise.resolve();
  const cache = replyCache({ ...opts, now: () => clock });
  const app: FastifyInstance = Fastify();
  app.register(async (scope) => {
    cache.register(scope);
    scope.get('/api/forecasts', async (req, reply) => {
      await gate;
      computed++;
      if (status !== 200) return reply.code(status).send({ error: { code: 'X', message: 'no' } });
      if ((req.headers.accept ?? '').includes('text/csv'))
        return reply.type('text/csv').send(`n\n${computed}\n`);
      return { computed };
    });
  });
  const get = async (url = '/api/forecasts', accept?: string) => {
    const res = await app.inject({ url, ...(accept ? { headers: { accept } } : {}) });
    return { status: res.statusCode, body: res.body, type: String(res.headers['content-type']) };
  };
  return {
    app,
    cache,
    get,
    get computed() {
      return computed;
    },
    tick: (ms: number) => {
      clock += ms;
    },
    fail: (s: number) => {
      status = s;
    },
    hold: () => {
      let open: () => void = () => undefined;
      gate = new Promise((r) => (open = r));
      return open;
    },
  };
}

describe('the planner reply cache', () => {
  it('answers a repeated request from memory until its TTL or an invalidation, per URL and per CSV', async () => {
    const w = world({ ttlMs: 1_000 });
    expect((await w.get()).body).toBe('{"computed":1}');
    expect((await w.get()).body).toBe('{"computed":1}');
    expect(w.computed).toBe(1);
    // Another query string and CSV by Accept are other answers.
    await w.get('/api/forecasts?lane=A%3EB');
    const csv = await w.get('/api/forecasts', 'text/csv');
    expect(csv.type).toMatch(/^text\/csv/);
    expect(w.computed).toBe(3);
    expect((await w.get('/api/forecasts', 'text/csv')).body).toBe(csv.body);
    expect(w.computed).toBe(3);
    w.tick(1_000);
    expect((await w.get()).body).toBe('{"computed":4}');
    w.cache.invalidate();
    expect((await w.get()).body).toBe('{"computed":5}');
    expect(w.cache.hits).toBe(2);
    await w.app.close();
  });

  it('computes once for concurrent misses and shares the answer', async () => {
    const w = world();
    const open = w.hold();
    const all = Promise.all(Array.from({ length: 20 }, () => w.get()));
    await new Promise((r) => setTimeout(r, 20));
    open();
    const answers = await all;
    expect(new Set(answers.map((a) => a.body))).toEqual(new Set(['{"computed":1}']));
    expect(w.computed).toBe(1);
    await w.app.close();
  });

  it('keeps no error answer: the waiting requests and the next one compute their own', async () => {
    const w = world();
    w.fail(503);
    const open = w.hold();
    const all = Promise.all([w.get(), w.get(), w.get()]);
    await new Promise((r) => setTimeout(r, 20));
    open();
    expect((await all).map((a) => a.status)).toEqual([503, 503, 503]);
    expect(w.computed).toBe(3);
    w.fail(200);
    expect((await w.get()).status).toBe(200);
    expect(w.computed).toBe(4);
    await w.app.close();
  });

  it('does not keep an answer computed across an invalidation, and holds at most maxEntries', async () => {
    const w = world({ maxEntries: 2 });
    const open = w.hold();
    const slow = w.get();
    await new Promise((r) => setTimeout(r, 20));
    w.cache.invalidate();
    open();
    expect((await slow).body).toBe('{"computed":1}');
    expect(w.cache.size).toBe(0);
    for (const lane of ['a', 'b', 'c']) await w.get(`/api/forecasts?lane=${lane}`);
    expect(w.cache.size).toBe(2);
    await w.get('/api/forecasts?lane=a');
    expect(w.computed).toBe(5);
    await w.app.close();
  });
});

describe('the planner reply cache in a whole Dockside', () => {
  let t: TestDockside;
  beforeAll(async () => {
    t = await startTestDockside('plannercache');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('still refuses a caller without a token or without the permission after an answer was kept', async () => {
    const asPlanner = await t.inject({ url: '/api/forecasts/alerts' }, 'planner');
    expect(asPlanner.statusCode).toBe(200);
    expect((await t.inject({ url: '/api/forecasts/alerts' }, 'planner')).body).toBe(asPlanner.body);
    expect((await t.dockside.server.inject({ url: '/api/forecasts/alerts' })).statusCode).toBe(401);
    expect((await t.inject({ url: '/api/forecasts/alerts' }, 'ingest')).statusCode).toBe(403);
  });

  it('still rate limits a client whose answers are kept', async () => {
    const limited = Fastify();
    const cache = replyCache();
    registerForecastRoutes(limited, {
      store: t.dockside.store,
      logger: createLogger({ logLevel: 'silent' }),
      rateLimitPerMinute: 3,
      cache,
    });
    await limited.ready();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await limited.inject({ url: '/api/forecasts/alerts' })).statusCode);
    await limited.close();
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect(cache.hits).toBe(2);
  });
});
