import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateScenario, shuffleWithinLateness } from '../../bench/exceptions/scenario.ts';
import { type DetectedException, loadPolicy } from '../../core/mod.ts';
import { incidentSchema } from '../../exceptions/incidents/schema.ts';
import { computeIncidents, groupIncidents, incidentOptions } from '../../exceptions/mod.ts';
import { repoRoot, tempDir, templatePolicy } from '../helpers/env.ts';
import { HOUR, iso, MIN, member, mix, series, shuffled, T0 } from './support/incidents.ts';
import { replayOffline } from './support/runs.ts';

describe('groupIncidents (pure)', () => {
  it('is a function of the set of latest states: any order, duplicates and older versions give the same incidents', () => {
    const states = mix(600, 3);
    const want = groupIncidents(states);
    expect(want.length).toBeGreaterThan(5);
    expect(new Set(want.map((i) => i.cause.kind)).size).toBeGreaterThan(1);
    for (const seed of [1, 2, 3]) {
      const older = states.slice(0, 50).map((s) => ({ ...s, status: 'resolved' as const, version: 5 }));
      expect(groupIncidents(shuffled([...states, ...older, ...states.slice(0, 40)], seed))).toEqual(want);
    }
    // Every exception is in at most one incident.
    const all = want.flatMap((i) => i.memberIds);
    expect(new Set(all).size).toBe(all.length);
  });

  it('keeps an incident id while members are added in event-time order', () => {
    const states = series(30, T0, 10 * MIN);
    const ids = new Set<string>();
    for (let k = 1; k <= states.length; k++) {
      const incidents = groupIncidents(states.slice(0, k));
      if (k < 5) expect(incidents).toEqual([]);
      else {
        expect(incidents).toHaveLength(1);
        expect(incidents[0]?.counts.members).toBe(k);
        ids.add(incidents[0]?.id ?? '');
      }
    }
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^inc:[0-9a-f]{24}$/);
  });

  it('splits where neighbours are more than the gap apart (2 h by default), and at the longest span', () => {
    const a = series(5, T0, 10 * MIN);
    const lastA = T0 + 4 * 10 * MIN;
    const exactly = series(5, lastA + 2 * HOUR, 10 * MIN);
    expect(groupIncidents([...a, ...exactly])).toHaveLength(1);
    const beyond = series(5, lastA + 2 * HOUR + 1, 10 * MIN);
    const two = groupIncidents([...a, ...beyond]);
    expect(two.map((i) => i.counts.members)).toEqual([5, 5]);
    expect(two[0]?.span.from).toBe(beyond[0]?.occurredAt);
    // Custom burst: 5 min holds no two of a 10-min series.
    const tight = { gapMs: 5 * MIN, minMembers: 2, burstMs: 5 * MIN, maxSpanMs: 24 * HOUR };
    expect(groupIncidents(a, tight)).toEqual([]);
    // A chronic burst (every 10 min for 2 days) becomes one incident per 24 h of span, not one forever.
    const chronic = groupIncidents(series(288, T0, 10 * MIN));
    expect(chronic.map((i) => i.counts.members).sort()).toEqual([143, 145]);
  });

  it('is a burst, not a background: members must be minMembers within burst_minutes (1 h by default)', () => {
    // One an hour all day: never 5 within an hour, so no incident however long it goes on.
    const background = series(24, T0, HOUR);
    expect(groupIncidents(background)).toEqual([]);
    expect(groupIncidents(series(5, T0, 15 * MIN))).toHaveLength(1);
    expect(groupIncidents(series(5, T0, 16 * MIN))).toEqual([]);
    // A burst in the middle of that background: one incident, the burst and what falls inside its span.
    const burst = series(12, T0 + 10 * HOUR + 10 * MIN, 10 * MIN);
    const [only, ...rest] = groupIncidents([...background, ...burst]);
    expect(rest).toEqual([]);
    // The background members at T0 + 10, 11 and 12 h make a burst window with it (the last one ties with the
    // burst's end); the others, from T0 + 13 h on and before T0 + 10 h, stay out.
    const near = [10, 11, 12].map((h) => background[h] as (typeof background)[number]);
    expect(only?.memberIds.sort()).toEqual([...burst, ...near].map((m) => m.id).sort());
  });

  it('prefers the most specific cause: warehouse+carrier before warehouse, then what is left by warehouse', () => {
    const c1 = series(6, T0, 5 * MIN, { carrierId: 'CARR-1' });
    const c2 = series(3, T0 + MIN, 5 * MIN, { carrierId: 'CARR-2', lane: 'WH-A>R2' });
    const none = series(3, T0 + 2 * MIN, 5 * MIN, { carrierId: undefined, lane: 'WH-A>R3' });
    const other = series(5, T0, 5 * MIN, { type: 'short_pick', carrierId: 'CARR-1' });
    const incidents = groupIncidents(shuffled([...c1, ...c2, ...none, ...other], 9));
    const byKind = Object.fromEntries(incidents.map((i) => [`${i.type}/${i.cause.kind}`, i]));
    expect(Object.keys(byKind).sort()).toEqual([
      'late_scan/warehouse',
      'late_scan/warehouse_carrier',
      'short_pick/warehouse_carrier',
    ]);
    const wc = byKind['late_scan/warehouse_carrier'];
    expect(wc?.cause).toEqual({ kind: 'warehouse_carrier', warehouseId: 'WH-A', carrierId: 'CARR-1' });
    expect(wc?.memberIds).toEqual(c1.map((m) => m.id));
    expect(wc?.title).toBe('6 late scans at WH-A, carrier CARR-1, 2026-03-02 12:00–12:25 UTC');
    const wh = byKind['late_scan/warehouse'];
    expect(wh?.memberIds.sort()).toEqual([...c2, ...none].map((m) => m.id).sort());
    expect(wh?.carrierIds).toEqual(['CARR-2']);
    // Types never mix: the short picks are their own incident.
    expect(byKind['short_pick/warehouse_carrier']?.memberIds).toEqual(other.map((m) => m.id));
  });

  it('falls back to carrier, lane and customer when the more specific keys do not gather enough', () => {
    // One carrier across five warehouses: no warehouse+carrier run, one carrier incident.
    const carrier = ['W1', 'W2', 'W3', 'W4', 'W5'].map((w, i) =>
      member(T0 + i * MIN, { warehouseId: w, carrierId: 'CARR-9', lane: `L${i}`, customerId: `K${i}` }),
    );
    // One customer, nothing else in common.
    const customer = ['W6', 'W7', 'W8', 'W9', 'W10'].map((w, i) =>
      member(T0 + i * MIN, { warehouseId: w, carrierId: undefined, lane: `M${i}`, customerId: 'BIG' }),
    );
    const kinds = groupIncidents([...carrier, ...customer]).map((i) => i.cause);
    expect(kinds).toContainEqual({ kind: 'carrier', carrierId: 'CARR-9' });
    expect(kinds).toContainEqual({ kind: 'customer', customerId: 'BIG' });
  });

  it('summarises status, severity, counts, span and customers by tier', () => {
    const ms = [
      member(T0, { status: 'resolved', severity: 'low', customerId: 'C1', customerTier: 'tier1' }),
      member(T0 + MIN, { status: 'assigned', severity: 'high', customerId: 'C2', customerTier: 'tier1' }),
      member(T0 + 2 * MIN, { status: 'resolved', customerId: 'C1', customerTier: 'tier1' }),
      member(T0 + 3 * MIN, { status: 'resolved', customerId: 'C3', customerTier: 'tier3' }),
      member(T0 + 4 * MIN, { status: 'resolved', customerId: undefined, customerTier: undefined }),
    ];
    const [open] = groupIncidents(ms);
    expect(open).toMatchObject({
      status: 'open',
      severity: 'high',
      counts: { members: 5, open: 0, assigned: 1, resolved: 4, overBudget: 0 },
      span: { from: iso(T0), to: iso(T0 + 4 * MIN) },
      customers: { tier1: 2, tier2: 0, tier3: 1, total: 3, ids: ['C1', 'C2', 'C3'] },
    });
    const [resolved] = groupIncidents(ms.map((m) => ({ ...m, status: 'resolved' as const })));
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.id).toBe(open?.id);
  });
});

describe('scenario: a carrier bad afternoon', () => {
  const start = Date.parse('2026-03-02T00:00:00Z');
  const bad = { carrierId: 'CARR-1', warehouseId: 'WH-A', fromMs: start + 2 * HOUR, hours: 3 };
  const opts = { shipments: 1_200, seed: 5, startMs: start };
  const policy = loadPolicy(templatePolicy);
  const replay = (events: Parameters<typeof replayOffline>[0]) =>
    replayOffline(events, { policy, partitions: 4, allowedLatenessMs: 600_000 });
  /** Late scans of the carrier at the warehouse whose deadline (due + 90 min) falls in the bad hours. */
  const inWindow = (e: DetectedException, carrier = bad.carrierId) => {
    const t = Date.parse(e.occurredAt);
    return (
      e.type === 'late_scan' &&
      e.warehouseId === bad.warehouseId &&
      e.carrierId === carrier &&
      t >= bad.fromMs + 90 * MIN &&
      t < bad.fromMs + bad.hours * HOUR + 90 * MIN
    );
  };

  it('changes only the scans of that carrier at that warehouse in those hours', () => {
    const plain = generateScenario(opts);
    const withBad = generateScenario({ ...opts, badAfternoon: bad });
    const key = (e: { id: string }) => JSON.stringify(e);
    const before = new Set(plain.map(key));
    const after = new Set(withBad.map(key));
    const diff = withBad.filter((e) => !before.has(key(e)));
    const gone = plain.filter((e) => !after.has(key(e)));
    expect(gone.length).toBeGreaterThan(10);
    for (const e of [...diff, ...gone]) expect(e.type).toBe('wms.ship_scan');
    const commits = new Map(
      plain.flatMap((e) => (e.type === 'shipment.committed' ? [[e.shipmentId, e] as const] : [])),
    );
    for (const e of gone) {
      const c = e.type === 'wms.ship_scan' ? commits.get(e.shipmentId) : undefined;
      expect(c?.type === 'shipment.committed' && c.carrierId).toBe(bad.carrierId);
      expect(c?.type === 'shipment.committed' && c.warehouseId).toBe(bad.warehouseId);
    }
  });

  it('gives one incident holding all its late scans, and nothing unrelated', async () => {
    const events = generateScenario({ ...opts, badAfternoon: bad });
    const { exceptions } = await replay(events);
    const snap = computeIncidents(exceptions, incidentOptions(policy));
    const stalled = exceptions.filter((e) => inWindow(e));
    const baseline = (await replay(generateScenario(opts))).exceptions.filter((e) => inWindow(e));
    expect(stalled.length).toBeGreaterThan(15);
    expect(stalled.length).toBeGreaterThan(3 * baseline.length);

    const holding = snap.incidents.filter((i) => stalled.some((e) => i.memberIds.includes(e.id)));
    expect(holding).toHaveLength(1);
    const incident = holding[0];
    expect(incident?.cause).toEqual({ kind: 'warehouse_carrier', warehouseId: 'WH-A', carrierId: 'CARR-1' });
    for (const e of stalled) expect(incident?.memberIds).toContain(e.id);
    const byId = new Map(exceptions.map((e) => [e.id, e]));
    for (const id of incident?.memberIds ?? []) {
      expect(byId.get(id)).toMatchObject({ type: 'late_scan', warehouseId: 'WH-A', carrierId: 'CARR-1' });
    }
    // …and the pair's background late scans stay out, except those within one burst window (1 h) of the bad
    // hours, which nothing can tell apart from the burst's own.
    const sameKey = exceptions.filter(
      (e) => e.type === 'late_scan' && e.warehouseId === bad.warehouseId && e.carrierId === bad.carrierId,
    );
    const from = bad.fromMs + 90 * MIN - HOUR;
    const to = bad.fromMs + bad.hours * HOUR + 90 * MIN + HOUR;
    const far = sameKey.filter((e) => Date.parse(e.occurredAt) < from || Date.parse(e.occurredAt) >= to);
    expect(far.length).toBeGreaterThan(0);
    for (const e of far) expect(incident?.memberIds).not.toContain(e.id);
    expect((incident?.memberIds.length ?? 0) - stalled.length).toBeLessThanOrEqual(
      sameKey.length - far.length - stalled.length,
    );
    // Other carriers' late scans at that warehouse in those hours, and other types, exist and stay out.
    const others = exceptions.filter((e) => inWindow(e, 'CARR-2') || inWindow(e, 'CARR-3'));
    expect(others.length).toBeGreaterThan(0);
    const otherTypes = exceptions.filter(
      (e) => e.type !== 'late_scan' && e.warehouseId === 'WH-A' && e.carrierId === 'CARR-1',
    );
    expect(otherTypes.length).toBeGreaterThan(0);
    for (const e of [...others, ...otherTypes]) expect(incident?.memberIds).not.toContain(e.id);
    expect(incident?.title).toMatch(
      /^\d+ late scans at WH-A, carrier CARR-1, 2026-03-02 \d\d:\d\d–\d\d:\d\d UTC$/,
    );

    // Another arrival order (within the allowed lateness) gives the same incidents.
    const again = await replay(shuffleWithinLateness(events, 600_000, 3));
    expect(computeIncidents(again.exceptions, incidentOptions(policy)).incidents).toEqual(snap.incidents);
  });

  it('`dockside replay --incidents` prints the same incidents as NDJSON', async () => {
    const events = generateScenario({ shipments: 400, seed: 8, startMs: start, badAfternoon: bad });
    const dir = tempDir('incidents-cli');
    try {
      const file = path.join(dir.dir, 'events.ndjson');
      writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
      const r = spawnSync(
        process.execPath,
        [path.join(repoRoot, 'bin/dockside.js'), 'replay', file, '--incidents', '--policy', templatePolicy],
        { encoding: 'utf8', cwd: repoRoot, env: { PATH: process.env.PATH, DOCKSIDE_DATA_DIR: dir.dir } },
      );
      expect(r.status, r.stderr).toBe(0);
      const printed = r.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => incidentSchema.parse(JSON.parse(l)));
      // The CLI's defaults: 8 partitions, 30 s lateness.
      const { exceptions } = await replayOffline(events, {
        policy,
        partitions: 8,
        allowedLatenessMs: 30_000,
      });
      const want = computeIncidents(exceptions, incidentOptions(policy)).incidents;
      expect(want.length).toBeGreaterThan(3);
      expect(printed).toEqual(want);
    } finally {
      dir.remove();
    }
  });
});
