import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shuffleWithinLateness } from '../../bench/exceptions/scenario.ts';
import {
  type CanonicalEvent,
  ConfigError,
  type DetectedException,
  defaultPolicy,
  type FeedsConfig,
  loadConfig,
  NO_FEEDS,
  partitionOf,
} from '../../core/mod.ts';
import { FeedState, mergeFeedViews } from '../../exceptions/feeds.ts';
import { Detector, ExceptionSet, replayLines, Topology } from '../../exceptions/mod.ts';
import { detectorSnapshotSchema } from '../../exceptions/snapshot.ts';
import { parseSnapshotRecord } from '../../exceptions/snapshot-cursor.ts';
import { ev, HOUR, iso, MIN, T0 } from './support/build.ts';
import { comparable } from './support/live.ts';

/**
 * Feed capabilities: missing_pod only for deliveries whose source sends PODs, declared in the feeds file
 * or learned from the events (a POD seen before the delivery's POD deadline). pod_window_hours is 24.
 */
const L = 10 * MIN;
const feedsOf = (sources: FeedsConfig['sources']): FeedsConfig => ({ sources, learn: { minDeliveries: 50 } });
const from = (source: string, e: CanonicalEvent): CanonicalEvent => ({ ...e, source });
const delivered = (source: string, s: string, at: number) => from(source, ev.status(s, at, 'delivered'));
const pod = (source: string, s: string, at: number) => from(source, ev.pod(s, at));
/** An event of another feed far later: every partition's watermark passes every deadline before it. */
const tick = (at: number) => from('wms', ev.commit('TICK', at));

function replay(events: readonly CanonicalEvent[], feeds?: FeedsConfig, partitions = 1) {
  return replayLines(
    events.map((e) => JSON.stringify(e)),
    {
      policy: defaultPolicy,
      partitions,
      partitionOf,
      allowedLatenessMs: L,
      strict: true,
      ...(feeds ? { feeds } : {}),
    },
  );
}
const missingPods = (xs: readonly DetectedException[]) =>
  xs.filter((x) => x.type === 'missing_pod').map((x) => x.shipmentId);

/** The in-memory topology, for the detector's feed view next to its output. */
function run(events: readonly CanonicalEvent[], feeds?: FeedsConfig, endMs?: number, partitions = 1) {
  const topology = new Topology({
    policy: defaultPolicy,
    partitions,
    partitionOf,
    allowedLatenessMs: L,
    idleAdvanceMs: Number.POSITIVE_INFINITY,
    strict: true,
    ...(feeds ? { feeds } : {}),
  });
  const set = new ExceptionSet();
  for (const e of events) {
    const r = topology.onEvent(e, 0);
    set.add(r.emissions);
    set.add(topology.advancePartition(r.partition, 0));
  }
  if (endMs !== undefined) set.add(topology.finish(endMs, 0));
  const timers = topology.detectors.reduce((n, d) => n + d.stats().timers, 0);
  return { exceptions: set.list(), feeds: topology.feedStats(), timers };
}

/** `n` deliveries from `source`, one an hour from `start`, without PODs. */
const noPodDeliveries = (source: string, n: number, start: number) =>
  Array.from({ length: n }, (_, i) => delivered(source, `${source}-N${i}`, start + i * HOUR));

describe('missing_pod and feed capabilities', () => {
  it('a feed that sends PODs still gets missing_pod for a delivery without one', async () => {
    const events = [
      delivered('carrier-a', 'A1', T0),
      pod('carrier-a', 'A1', T0 + 2 * HOUR),
      delivered('carrier-a', 'A2', T0 + HOUR),
      pod('carrier-a', 'A2', T0 + 3 * HOUR),
      delivered('carrier-a', 'X', T0 + 4 * HOUR),
      tick(T0 + 100 * HOUR),
    ];
    const { exceptions } = await replay(events);
    expect(missingPods(exceptions)).toEqual(['X']);
    // ABSENCE × FEED_SEEN: the feed is learned to send PODs.
    expect(exceptions.find((x) => x.type === 'missing_pod')?.confidence).toBe(0.92);
  });

  it('a feed with many deliveries and no POD gets none, and is reported as sending no PODs', async () => {
    const events = [...noPodDeliveries('marketplace', 60, T0), tick(T0 + 200 * HOUR)];
    expect(missingPods((await replay(events)).exceptions)).toEqual([]);
    // Learned per partition, reported summed over the partitions.
    const r = run(events, undefined, T0 + 200 * HOUR, 4);
    expect(r.feeds.find((f) => f.source === 'marketplace')).toEqual({
      source: 'marketplace',
      deliveries: 60,
      pods: 0,
      firstPodAt: null,
      pod: 'none',
      missingPod: 'off',
      text: 'source marketplace sends no PODs: missing_pod is off for it',
      suppressed: { missing_pod: 60 },
    });
    // With fewer deliveries than learn.min_deliveries it is still being learned.
    const few = run(events.slice(0, 10), undefined, T0 + 200 * HOUR);
    expect(few.feeds.find((f) => f.source === 'marketplace')?.pod).toBe('learning');
  });

  it('a no-POD feed that starts sending PODs gets the rule back for deadlines after its first POD', async () => {
    const firstPod = T0 + 101 * HOUR;
    const events = [
      ...noPodDeliveries('marketplace', 60, T0),
      delivered('marketplace', 'Y1', T0 + 100 * HOUR),
      pod('marketplace', 'Y1', firstPod),
      delivered('marketplace', 'Y2', T0 + 102 * HOUR),
      tick(T0 + 200 * HOUR),
    ];
    const { exceptions } = await replay(events);
    // The 60 earlier deliveries had their deadline before the first POD: not re-examined.
    expect(missingPods(exceptions)).toEqual(['Y2']);
    const r = run(events, undefined, T0 + 200 * HOUR);
    expect(r.feeds.find((f) => f.source === 'marketplace')).toMatchObject({
      deliveries: 62,
      pods: 1,
      firstPodAt: iso(firstPod),
      pod: 'sends',
      suppressed: { missing_pod: 60 },
    });
  });

  it('a POD sent before its delivered status counts from the delivery on', async () => {
    const events = [
      pod('carrier-b', 'B1', T0),
      delivered('carrier-b', 'B1', T0 + 30 * MIN),
      delivered('carrier-b', 'X', T0 + HOUR),
      tick(T0 + 100 * HOUR),
    ];
    expect(missingPods((await replay(events)).exceptions)).toEqual(['X']);
    expect(run(events).feeds.find((f) => f.source === 'carrier-b')?.firstPodAt).toBe(iso(T0 + 30 * MIN));
  });

  it('declared `pod: true` fires before any POD was seen; the same feed undeclared does not', async () => {
    const events = [delivered('carrier-edi', 'E1', T0), tick(T0 + 100 * HOUR)];
    const declared = await replay(events, feedsOf({ 'carrier-edi': { pod: true } }));
    expect(missingPods(declared.exceptions)).toEqual(['E1']);
    expect(declared.exceptions.find((x) => x.type === 'missing_pod')?.confidence).toBe(0.92);
    expect(missingPods((await replay(events)).exceptions)).toEqual([]);
  });

  it('declared `pod: false` never fires, even when PODs come, and sets no timer', async () => {
    const feeds = feedsOf({ olist: { pod: false } });
    const events = [
      delivered('olist', 'O1', T0),
      pod('olist', 'O1', T0 + HOUR),
      delivered('olist', 'O2', T0 + 2 * HOUR),
      tick(T0 + 100 * HOUR),
    ];
    expect(missingPods((await replay(events, feeds)).exceptions)).toEqual([]);
    expect(missingPods((await replay(events)).exceptions)).toEqual(['O2']);
    // Decided when the delivery arrives: no deadline to wait for, counted once per delivery.
    const r = run(events.slice(0, 3), feeds);
    expect(r.timers).toBe(0);
    expect(run(events.slice(0, 3)).timers).toBe(2);
    expect(r.feeds.find((f) => f.source === 'olist')).toMatchObject({
      pod: 'declared-none',
      suppressed: { missing_pod: 2 },
    });
  });

  it('arrival order within the allowed lateness does not change the outcome', async () => {
    const events = mixedFeeds();
    const base = await replay(events, undefined, 4);
    const found = missingPods(base.exceptions);
    expect(found.some((s) => s?.startsWith('pods-'))).toBe(true);
    expect(found.some((s) => s?.startsWith('starter-'))).toBe(true);
    expect(found.some((s) => s?.startsWith('nopods-'))).toBe(false);
    // The starter feed's deliveries without POD: flagged only when their deadline is after its first POD.
    const podded = new Set(events.filter((e) => e.type === 'tms.pod').map(shipmentOf));
    const starterNoPod = events
      .filter((e) => e.type === 'tms.status' && shipmentOf(e).startsWith('starter-'))
      .map(shipmentOf)
      .filter((s) => !podded.has(s));
    expect(starterNoPod.filter((s) => found.includes(s)).length).toBeGreaterThan(0);
    expect(starterNoPod.filter((s) => !found.includes(s)).length).toBeGreaterThan(0);
    for (const seed of [1, 2, 3]) {
      const shuffled = shuffleWithinLateness(events, L, seed);
      expect(shuffled).not.toEqual(events);
      const r = await replay(shuffled, undefined, 4);
      expect(r.summary.late).toBe(0);
      expect(comparable(r.exceptions)).toEqual(comparable(base.exceptions));
    }
  });
});

describe('feed state in snapshots', () => {
  const opts = {
    policy: defaultPolicy,
    allowedLatenessMs: L,
    idleAdvanceMs: Number.POSITIVE_INFINITY,
    partition: 0,
    strict: true,
  };
  const events = mixedFeeds();
  const cut = events.findIndex((e) => e.id === 'starter-first-pod');

  it('both formats carry it: a restored detector gives the same later output and feed view', () => {
    expect(cut).toBeGreaterThan(0);
    const whole = new Detector(opts);
    const after: unknown[] = [];
    let v1: unknown;
    let v2 = '';
    events.forEach((e, i) => {
      const out = [...whole.onEvent(e, 0).emissions, ...whole.advance(0).emissions];
      if (i > cut) after.push(...out);
      if (i === cut) {
        v1 = JSON.parse(JSON.stringify(whole.snapshot()));
        const cursor = whole.openSnapshot();
        for (let t = cursor.next(); t !== undefined; t = cursor.next()) v2 += t;
        cursor.close();
      }
    });
    const fromV1 = Detector.restore(detectorSnapshotSchema.parse(v1), opts, 0);
    const fromV2 = new Detector(opts);
    for (const line of v2.split('\n').filter(Boolean))
      fromV2.restoreRecord(parseSnapshotRecord(JSON.parse(line)), 0);
    expect(fromV1.feedStats().length).toBeGreaterThan(0);
    expect(fromV2.feedStats()).toEqual(fromV1.feedStats());
    for (const d of [fromV1, fromV2]) {
      const out: unknown[] = [];
      events.forEach((e, i) => {
        if (i > cut) out.push(...d.onEvent(e, 0).emissions, ...d.advance(0).emissions);
      });
      expect(comparable(out as DetectedException[])).toEqual(comparable(after as DetectedException[]));
      expect(d.feedStats()).toEqual(whole.feedStats());
    }
    // Without the feed state the starter feed would have to learn again: the output would differ.
    const forgetful = Detector.restore(
      detectorSnapshotSchema.parse({ ...(v1 as object), feeds: undefined }),
      opts,
      0,
    );
    const out: DetectedException[] = [];
    events.forEach((e, i) => {
      if (i > cut) out.push(...forgetful.onEvent(e, 0).emissions, ...forgetful.advance(0).emissions);
    });
    expect(comparable(out)).not.toEqual(comparable(after as DetectedException[]));
  });

  it('a snapshot written before feeds were tracked still restores, with nothing learned', () => {
    const d = new Detector(opts);
    for (const e of events.slice(0, 200)) d.onEvent(e, 0);
    const { feeds: _f, ...old } = JSON.parse(JSON.stringify(d.snapshot())) as Record<string, unknown>;
    expect(Detector.restore(detectorSnapshotSchema.parse(old), opts, 0).feedStats()).toEqual([]);
    let meta = '';
    const cursor = d.openSnapshot();
    for (let t = cursor.next(); t !== undefined; t = cursor.next()) meta += t;
    cursor.close();
    const [tag, m] = JSON.parse(meta.split('\n')[0] ?? '') as [string, Record<string, unknown>];
    const { feeds: _g, ...oldMeta } = m;
    const restored = new Detector(opts);
    restored.restoreRecord(parseSnapshotRecord([tag, oldMeta]), 0);
    expect(restored.feedStats()).toEqual([]);
    expect(() => parseSnapshotRecord([tag, { ...m, feeds: [['x', { deliveries: -1 }]] }])).toThrow();
  });
});

describe('the feed view across partitions', () => {
  it('adds counts up, keeps the earliest first POD, and classifies with the config', () => {
    const a = new FeedState(NO_FEEDS);
    const b = new FeedState(NO_FEEDS);
    a.noteSuppressed('missing_pod', 'olist');
    b.noteSuppressed('missing_pod', 'olist');
    const merged = mergeFeedViews([a.view(), b.view()], feedsOf({ olist: { pod: false } }));
    expect(merged).toEqual([
      {
        source: 'olist',
        deliveries: 0,
        pods: 0,
        firstPodAt: null,
        pod: 'declared-none',
        missingPod: 'off',
        text: 'source olist sends no PODs (declared in DOCKSIDE_FEEDS_FILE): missing_pod is off for it',
        suppressed: { missing_pod: 2 },
      },
    ]);
  });
});

describe('DOCKSIDE_FEEDS_FILE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dockside-feeds-'));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const load = (p: string) => loadConfig({}, { DOCKSIDE_FEEDS_FILE: p, DOCKSIDE_DATA_DIR: dir }).feeds;
  const errorOf = (p: string) => {
    try {
      load(p);
    } catch (err) {
      return err;
    }
    throw new Error('expected a ConfigError');
  };

  it('reads YAML or JSON; unset means nothing declared', () => {
    const yaml = file(
      'feeds.yaml',
      'sources:\n  olist: { pod: false }\n  carrier-edi: { pod: true }\nlearn:\n  min_deliveries: 20\n',
    );
    expect(load(yaml)).toEqual({
      file: yaml,
      sources: { olist: { pod: false }, 'carrier-edi': { pod: true } },
      learn: { minDeliveries: 20 },
    });
    const json = file('feeds.json', JSON.stringify({ sources: { olist: { pod: false } } }));
    expect(load(json).sources).toEqual({ olist: { pod: false } });
    expect(load(json).learn.minDeliveries).toBe(50);
    expect(Object.isFrozen(load(json).sources)).toBe(true);
    expect(loadConfig({}, { DOCKSIDE_DATA_DIR: dir }).feeds).toEqual(NO_FEEDS);
  });

  it('a bad field names the file, the field path, the value and what was expected', () => {
    const bad = file('bad.yaml', 'sources:\n  olist: { pod: "no" }\n');
    const err = errorOf(bad);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('DOCKSIDE_FEEDS_FILE');
    expect((err as Error).message).toBe(
      `DOCKSIDE_FEEDS_FILE=${bad}: sources.olist.pod: got "no", expected boolean`,
    );
    const typo = file('typo.yaml', 'sources:\n  olist: { pods: false }\n');
    expect((errorOf(typo) as Error).message).toBe(
      `DOCKSIDE_FEEDS_FILE=${typo}: sources.olist: got {"pods":false}, expected no unknown keys (pods)`,
    );
    const min = file('min.yaml', 'learn:\n  min_deliveries: 0\n');
    expect((errorOf(min) as Error).message).toBe(
      `DOCKSIDE_FEEDS_FILE=${min}: learn.min_deliveries: got 0, expected number >= 1`,
    );
    expect((errorOf(file('broken.yaml', 'sources: [')) as Error).message).toContain('not valid YAML or JSON');
    expect((errorOf(path.join(dir, 'absent.yaml')) as Error).message).toContain('cannot read the file');
  });
});

/**
 * Three feeds over four days, a delivery every 20 minutes: `pods` sends a POD for 4 of 5 deliveries (some
 * within minutes, so shuffling puts the POD first), `nopods` never does, `starter` starts on day two.
 */
function mixedFeeds(): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  const starts = T0 + 30 * HOUR;
  for (let i = 0; i < 3 * 72 * 2; i++) {
    const at = T0 + i * 20 * MIN;
    const feed = ['pods', 'nopods', 'starter'][i % 3] as string;
    const s = `${feed}-${i}`;
    out.push({ ...delivered(feed, s, at), id: `${feed}-dlv-${i}` });
    if (feed === 'pods' && i % 5 !== 0) out.push(pod(feed, s, at + (i % 2 ? 3 * MIN : 2 * HOUR)));
    if (feed === 'starter' && at >= starts && i % 4 !== 0) {
      const first = !out.some((e) => e.id === 'starter-first-pod');
      out.push({ ...pod(feed, s, at + 5 * MIN), ...(first ? { id: 'starter-first-pod' } : {}) });
    }
  }
  out.push(tick(T0 + 10 * 24 * HOUR));
  return out.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}

function shipmentOf(e: CanonicalEvent): string {
  return 'shipmentId' in e && typeof e.shipmentId === 'string' ? e.shipmentId : '';
}
