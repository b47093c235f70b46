import { describe, expect, it } from 'vitest';
import {
  duplicateShare,
  generateScenario,
  mulberry32,
  shuffleWithinLateness,
} from '../../bench/exceptions/scenario.ts';
import {
  type CanonicalEvent,
  type DetectedException,
  loadPolicy,
  partitionKey,
  partitionOf,
} from '../../core/mod.ts';
import { Detector, replayLines, rules } from '../../exceptions/mod.ts';
import { detectorSnapshotSchema } from '../../exceptions/snapshot.ts';
import { parseSnapshotRecord } from '../../exceptions/snapshot-cursor.ts';
import { timeMs } from '../../exceptions/time.ts';
import { TimerQueue } from '../../exceptions/timers.ts';
import { Watermarks } from '../../exceptions/watermark.ts';
import { ev, HOUR, MIN, T0 } from './support/build.ts';
import { comparable } from './support/live.ts';
import { TEMPLATE_POLICY } from './support/runs.ts';

const policy = loadPolicy(TEMPLATE_POLICY);
const L = 10 * MIN;
/** One partition, strict checks, no idle advance: the detector as the restore tests drive it. */
const strictOpts = () => ({
  policy,
  allowedLatenessMs: L,
  idleAdvanceMs: Number.POSITIVE_INFINITY,
  partition: 0,
  strict: true,
});
const P = 4;
const events = generateScenario({
  shipments: 2_500,
  seed: 3,
  ticks: { partitions: P, partitionOf, afterMs: 30 * 86_400_000 },
});
const run = (list: readonly unknown[], partitions = P) =>
  replayLines(
    list.map((e) => JSON.stringify(e)),
    { policy, partitions, partitionOf, allowedLatenessMs: L, strict: true },
  );
const withVersions = (xs: DetectedException[]) => comparable(xs);

describe('order independence and exactly-once, on a scenario with every type', async () => {
  const base = await run(events);

  it('covers every type of the taxonomy', () => {
    expect(Object.keys(base.summary.byType).sort()).toEqual(
      [
        'carrier_delay_reported',
        'delivery_at_risk',
        'excessive_dwell',
        'inventory_mismatch',
        'late_delivery',
        'late_scan',
        'missed_pickup',
        'missing_pod',
        'scan_coverage_low',
        'short_pick',
        'tender_rejected',
        'tender_unanswered',
        'wismo_spike',
      ].sort(),
    );
  });

  it('shuffling within the allowed lateness leaves the exception set unchanged (ids, final states, versions)', async () => {
    for (const seed of [1, 2, 3]) {
      const shuffled = shuffleWithinLateness(events, L, seed);
      expect(shuffled).not.toEqual(events);
      const r = await run(shuffled);
      expect(r.summary.late).toBe(0);
      expect(withVersions(r.exceptions)).toEqual(withVersions(base.exceptions));
    }
  });

  it('timers skipping the time-independent rules changes no output (every state, in order)', () => {
    expect(rules.filter((r) => r.timeIndependent).map((r) => r.type)).toHaveLength(5);
    const everyRule = rules.map((r) => ({ ...r, timeIndependent: false }));
    const outputs = (list: readonly CanonicalEvent[], withAll: boolean) => {
      const detectors = Array.from(
        { length: P },
        (_, p) =>
          new Detector({
            policy,
            allowedLatenessMs: L,
            idleAdvanceMs: Number.POSITIVE_INFINITY,
            partition: p,
            strict: true,
            ...(withAll ? { rules: everyRule } : {}),
          }),
      );
      const out: unknown[] = [];
      list.forEach((e, i) => {
        const d = detectors[partitionOf(partitionKey(e), P)];
        if (!d) throw new Error('no detector');
        const r = d.onEvent(e, T0);
        out.push(r.emissions, r.partials);
        if (i % 97 === 0) for (const x of detectors) out.push(x.advance(T0));
      });
      for (const x of detectors) out.push(x.advance(T0));
      return out;
    };
    for (const list of [events, shuffleWithinLateness(events, L, 4), duplicateShare(events, 0.1)]) {
      const skipped = outputs(list, false);
      expect(skipped.flat(2).length).toBeGreaterThan(1_000);
      expect(skipped).toEqual(outputs(list, true));
    }
  });

  it('duplicating 10% of the events leaves the exception set unchanged', async () => {
    const dup = duplicateShare(events, 0.1);
    expect(dup.length).toBeGreaterThan(events.length * 1.08);
    const r = await run(dup);
    expect(withVersions(r.exceptions)).toEqual(withVersions(base.exceptions));
  });

  it('the partition count changes nothing but the aggregates’ revision numbers', async () => {
    const one = await run(events, 1);
    const noAggVersion = (xs: DetectedException[]) =>
      comparable(
        xs.map((x) =>
          x.type === 'wismo_spike' || x.type === 'scan_coverage_low' ? { ...x, version: 0 } : x,
        ),
      );
    expect(noAggVersion(one.exceptions)).toEqual(noAggVersion(base.exceptions));
  });

  it('a detector restored from a snapshot (serialized, validated) continues exactly as one never stopped', () => {
    const opts = strictOpts();
    const whole = new Detector(opts);
    let split = new Detector(opts);
    const a: DetectedException[] = [];
    const b: DetectedException[] = [];
    const cut = Math.floor(events.length / 2);
    events.forEach((e, i) => {
      a.push(...whole.onEvent(e, 0).emissions, ...whole.advance(0).emissions);
      if (i === cut) {
        const snap = detectorSnapshotSchema.parse(JSON.parse(JSON.stringify(split.snapshot())));
        split = Detector.restore(snap, opts, 0);
      }
      b.push(...split.onEvent(e, 0).emissions, ...split.advance(0).emissions);
    });
    expect(comparable(b)).toEqual(comparable(a));
    expect(split.stats()).toEqual(whole.stats());
  });

  it('a snapshot read out while processing goes on (copy-on-write) restores the state at its opening', () => {
    const opts = strictOpts();
    for (const cut of [0, 997, Math.floor(events.length / 2), events.length - 40]) {
      const whole = new Detector(opts);
      const after: DetectedException[] = [];
      let text = '';
      let cursor: ReturnType<Detector['openSnapshot']> | undefined;
      events.forEach((e, i) => {
        const out = [...whole.onEvent(e, 0).emissions, ...whole.advance(0).emissions];
        if (i > cut) after.push(...out);
        if (i === cut) cursor = whole.openSnapshot();
        // A few subjects per event: most are written after the processing changed (or created) them.
        const slice = i > cut ? cursor?.next(3) : undefined;
        if (slice !== undefined) text += slice;
      });
      for (let t = cursor?.next(); t !== undefined; t = cursor?.next()) text += t;
      cursor?.close();
      const restored = new Detector(opts);
      for (const line of text.split('\n').filter(Boolean)) {
        restored.restoreRecord(parseSnapshotRecord(JSON.parse(line)), 0);
      }
      const replayed: DetectedException[] = [];
      events.forEach((e, i) => {
        if (i <= cut) return;
        replayed.push(...restored.onEvent(e, 0).emissions, ...restored.advance(0).emissions);
      });
      expect(comparable(replayed)).toEqual(comparable(after));
      expect(restored.stats()).toEqual(whole.stats());
    }
  });
});

describe('event time and watermarks', () => {
  it('per source: the slowest active source holds the watermark; an idle one is left out', () => {
    const w = new Watermarks({ allowedLatenessMs: 1_000, idleAdvanceMs: 5_000 });
    w.observe('wms', 100_000, 0);
    w.observe('tms', 50_000, 0);
    expect(w.current(0)).toBe(49_000);
    w.observe('wms', 120_000, 6_000); // tms silent for 6 s: idle
    expect(w.current(6_000)).toBe(119_000);
  });
  it('when every source is idle, event time moves with the wall clock; it never goes back', () => {
    const w = new Watermarks({ allowedLatenessMs: 1_000, idleAdvanceMs: 5_000 });
    w.observe('wms', 100_000, 0);
    expect(w.current(1_000)).toBe(99_000);
    expect(w.current(8_000)).toBe(107_000);
    w.observe('wms', 100_500, 8_001);
    expect(w.current(8_001)).toBe(107_000);
  });
  it('a quiet feed still fires its deadlines (idle advance) in the live detector', () => {
    const d = new Detector({ policy, allowedLatenessMs: 0, idleAdvanceMs: 1_000 });
    const now = T0; // event time ≈ wall clock, as in a live feed
    d.onEvent(ev.commit('Q1', now, { shipBy: now - 59 * MIN }), now);
    expect(d.advance(now + 500).emissions).toEqual([]);
    const fired = d.advance(now + 2 * MIN).emissions;
    expect(fired.map((e) => e.type)).toContain('late_scan');
  });
  it('timers pop in due order, and a cancelled or rescheduled timer does not fire', () => {
    const q = new TimerQueue(2);
    q.schedule(0, 'a', 30);
    q.schedule(0, 'b', 10);
    q.schedule(0, 'c', 20);
    q.schedule(1, 'a', 10);
    q.cancel(0, 'c');
    q.schedule(0, 'a', 5);
    expect(q.popDue(25).map((t) => `${t.kind}:${t.id}@${t.dueMs}`)).toEqual(['0:a@5', '0:b@10', '1:a@10']);
    expect(q.popDue(100)).toEqual([]);
  });
  it('timers keep (due, schedule) order through growth and compaction', () => {
    const q = new TimerQueue(1);
    const rand = mulberry32(5);
    const want = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const id = `s${Math.floor(rand() * 3_000)}`;
      if (rand() < 0.2) {
        q.cancel(0, id);
        want.delete(id);
      } else {
        const due = Math.floor(rand() * 1_000);
        q.schedule(0, id, due);
        want.set(id, due);
      }
      if (i % 2_000 === 1_999) {
        const wm = (i / 20_000) * 600;
        const popped = q.popDue(wm);
        const expected = [...want].filter(([, d]) => d <= wm);
        expect(popped.map((t) => t.dueMs)).toEqual([...popped.map((t) => t.dueMs)].sort((a, b) => a - b));
        expect(popped.map((t) => `${t.id}@${t.dueMs}`).sort()).toEqual(
          expected.map(([id, d]) => `${id}@${d}`).sort(),
        );
        for (const [id] of expected) want.delete(id);
        expect(q.size).toBe(want.size);
      }
    }
  });
  it('parses RFC 3339 like Date.parse, offsets and fractions included', () => {
    for (const t of [
      '2017-10-02T10:56:33-03:00',
      '2026-03-02T08:00:00.123Z',
      '2026-03-02T08:00:00.5+05:30',
      '2026-12-31T23:59:59.999999Z',
    ]) {
      expect(timeMs(t)).toBe(Date.parse(t));
    }
  });
  it('reads toISOString output digit by digit exactly as the general path does', () => {
    const rand = mulberry32(5);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(rand() * 4_102_444_800_000); // 1970–2100, every millisecond value
      const text = new Date(ms).toISOString();
      expect(timeMs(text)).toBe(ms);
      expect(timeMs(text.replace(/\.\d{3}Z$/, 'Z'))).toBe(Math.floor(ms / 1000) * 1000);
    }
    for (let frac = 0; frac < 1000; frac++) {
      const text = `2026-03-02T08:00:00.${String(frac).padStart(3, '0')}Z`;
      expect(timeMs(text)).toBe(Date.parse(text));
    }
    for (const t of ['2026-03-02T08:00:00.12Z', '2026-03-02T08:00:00,123Z', '2026-03-02T08:00:00.1234Z']) {
      expect(timeMs(t)).toBe(Date.parse(t));
    }
  });
});

describe('hot-path contract', () => {
  it('every rule grows its evidence whenever its content changes (strict mode over the scenario)', async () => {
    const r = await run(shuffleWithinLateness(duplicateShare(events, 0.1), L, 9));
    expect(r.summary.problems).toEqual([]);
  });
  it('same input, same ids: ids are deterministic across runs', async () => {
    const again = await run(events);
    const ids = (xs: DetectedException[]) => xs.map((x) => x.id).sort();
    expect(ids(again.exceptions)).toEqual(ids((await run(events)).exceptions));
    expect(new Set(ids(again.exceptions)).size).toBe(again.exceptions.length);
  });
  it('late events (behind the watermark) are counted, and they still update state', () => {
    const d = new Detector({ policy, allowedLatenessMs: 0, idleAdvanceMs: Number.POSITIVE_INFINITY });
    d.onEvent(ev.commit('S1', T0, { shipBy: T0 + HOUR }), 0);
    d.onEvent(ev.commit('S2', T0 + 5 * HOUR), 0);
    const fired = d.advance(0).emissions;
    expect(fired.map((e) => [e.type, e.status])).toEqual([['late_scan', 'open']]);
    const r = d.onEvent(ev.scan('S1', T0 + 3 * HOUR), 0);
    expect(r.late).toBe(true);
    expect(r.emissions.map((e) => [e.status, e.resolution])).toEqual([['resolved', 'scan arrived late']]);
  });
});
