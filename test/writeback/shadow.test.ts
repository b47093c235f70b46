import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { lateScanEvents, startWorld, TEMPLATE_POLICY, type World } from '../helpers/writeback-world.ts';

/**
 * Shadow mode: a copy of the template whose tier3 confidence_min is 0.95 runs beside the template, live
 * (DOCKSIDE_SHADOW_POLICY) and over history (`replay --compare`); both list exactly the exception states
 * whose write-back outcome changes: tier3 late scans with a confidence in [0.85, 0.95).
 */
let world: World;
let t: TestDockside;
let shadowFile = '';
const sent: unknown[] = [];
const changing: string[] = [];
const unchanged: string[] = [];

beforeAll(async () => {
  world = await startWorld('shadow');
  shadowFile = path.join(world.dir, 'candidate.yaml');
  const template = readFileSync(TEMPLATE_POLICY, 'utf8');
  const candidate = template.replace(
    /(tier3:[\s\S]*?confidence_min: )0\.85/,
    (_m, head: string) => `${head}0.95`,
  );
  expect(candidate).not.toBe(template);
  writeFileSync(shadowFile, candidate);
  t = await startTestDockside('shadow', { ...world.env, DOCKSIDE_SHADOW_POLICY: shadowFile });
});
afterAll(async () => {
  await t?.close();
  await world?.close();
});

describe('shadow policy', () => {
  it('on the live stream, records exactly the exceptions whose outcome would change', async () => {
    const cases = [
      { customer: 'CUST-T3', tier: 'tier3', seen: true, changes: true }, // 0.92: written vs held
      { customer: 'CUST-T3', tier: 'tier3', seen: true, changes: true },
      { customer: 'CUST-T3', tier: 'tier3', seen: false, changes: false }, // 0.81: held under both
      { customer: 'CUST-T1', tier: 'tier1', seen: true, changes: false }, // tier1 rule unchanged
    ];
    for (const c of cases) {
      const { shipmentId, events } = lateScanEvents(c.customer, c.tier, Date.now(), {
        wmsBeforeDeadline: c.seen,
      });
      sent.push(...events);
      (c.changes ? changing : unchanged).push(shipmentId);
      const r = await t.inject({ method: 'POST', url: '/api/events', payload: events }, 'ingest');
      expect(r.statusCode).toBe(200);
    }
    const all = [...changing, ...unchanged];
    const exceptions = await waitFor('the four late scans', async () => {
      const r = await t.inject({ method: 'GET', url: '/api/exceptions?status=all&type=late_scan&limit=100' });
      const items = (
        JSON.parse(r.body).items as { id: string; shipmentId: string; confidence: number }[]
      ).filter((x) => all.includes(x.shipmentId));
      return items.length === 4 ? items : undefined;
    });
    const ids = (shipments: string[]) =>
      exceptions
        .filter((e) => shipments.includes(e.shipmentId))
        .map((e) => e.id)
        .sort();
    // Every state is decided (and its shadow comparison published) before the shadow view is read.
    await waitFor('the decisions of all four', async () => {
      const r = await t.inject({ method: 'GET', url: '/api/audit?kind=decision&limit=1000' }, 'admin');
      const decided = new Set(
        (JSON.parse(r.body).items as { exceptionId: string }[]).map((i) => i.exceptionId),
      );
      return exceptions.every((e) => decided.has(e.id)) ? true : undefined;
    });
    const view = await waitFor('the shadow differences', async () => {
      const r = await t.inject({ method: 'GET', url: '/api/writeback/shadow' }, 'admin');
      const body = JSON.parse(r.body) as {
        items: { exceptionId: string }[];
        counts: { change: string; n: number }[];
      };
      return body.items.length >= 2 ? body : undefined;
    });
    expect(view.items.map((i) => i.exceptionId).sort()).toEqual(ids(changing));
    expect(view.counts).toEqual([{ change: 'write/auto_write → held/below_confidence', n: 2 }]);
    const policy = await t.inject({ method: 'GET', url: '/api/policy' }, 'admin');
    expect(JSON.parse(policy.body).shadow.version).toMatch(/^v1-[0-9a-f]{12}$/);
  });

  it('over history, `replay --compare` lists the same exceptions, with counts', async () => {
    const events = path.join(world.dir, 'events.ndjson');
    writeFileSync(events, sent.map((e) => JSON.stringify(e)).join('\n'));
    const run = spawnCli(
      [
        'replay',
        events,
        '--policy',
        TEMPLATE_POLICY,
        '--compare',
        shadowFile,
        '--customers',
        world.env.DOCKSIDE_CUSTOMERS_FILE ?? '',
        '--json',
      ],
      { DOCKSIDE_ALLOWED_LATENESS_MS: '1000' },
    );
    expect(await run.exited).toBe(0);
    const diffs = run
      .stdout()
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            exceptionType: string;
            a: { outcome: string };
            b: { outcome: string };
            exceptionId: string;
          },
      );
    const summary = JSON.parse(run.stderr().trim().split('\n').at(-1) ?? '{}');
    expect(diffs.every((d) => d.a.outcome === 'write' && d.b.outcome === 'held')).toBe(true);
    const live = await t.inject({ method: 'GET', url: '/api/writeback/shadow' }, 'admin');
    expect(diffs.map((d) => d.exceptionId).sort()).toEqual(
      (JSON.parse(live.body).items as { exceptionId: string }[]).map((i) => i.exceptionId).sort(),
    );
    expect(summary).toMatchObject({
      different: 2,
      onlyA: 0,
      onlyB: 0,
      changes: { 'write/auto_write → held/below_confidence': 2 },
      totals: { a: { writes: 2 }, b: { writes: 0 } },
    });
  });
});
