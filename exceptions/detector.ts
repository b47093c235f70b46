import {
  type CanonicalEvent,
  DeadLetterError,
  type DetectedException,
  type EventType,
  type FeedSignal,
  type FeedsConfig,
  type Policy,
  partitionKey,
} from '../core/mod.ts';
import { contactContribution, contributionOf, shipmentContributions } from './aggregates/contributions.ts';
import {
  type AggKind,
  type PartialOut,
  WindowPartials,
  type WindowSpec,
  windowSpecs,
} from './aggregates/windows.ts';
import { emitIfNewer, publishedKey } from './emit.ts';
import { applyLoadEvent, applyShipmentEvent, compactShipmentFacts, Interner, isWismo } from './facts.ts';
import { deliveringSource, type FeedSourceView, FeedState } from './feeds.ts';
import { rules as defaultRules } from './rules/index.ts';
import { type DetectorSnapshot, restoreDetectorState, snapshotDetector } from './snapshot.ts';
import { SnapshotCursor, type SnapshotRecord } from './snapshot-cursor.ts';
import { DetectorState, KIND_INDEX, KIND_OF_PREFIX, PREFIX_OF_KIND, SUBJECT_KINDS } from './state.ts';
import { timeMs } from './time.ts';
import { TimerQueue } from './timers.ts';
import type { EvalContext, FeedCoverage, Rule, SubjectKind, Subjects } from './types.ts';
import { Watermarks } from './watermark.ts';

export interface DetectorOptions {
  readonly policy: Policy;
  readonly allowedLatenessMs: number;
  /** Processing time after which a quiet source is idle; Infinity in replay (pure event time). */
  readonly idleAdvanceMs: number;
  /** This detector's partition (stamped on the partials it sends to the aggregate stage). */
  readonly partition?: number;
  /** Event time after a subject's last event when its state is dropped (default 365 days). */
  readonly retentionMs?: number;
  readonly rules?: readonly Rule<SubjectKind>[];
  /** Throw when a rule changes content without growing evidence (tests). */
  readonly strict?: boolean;
  /** What each source is declared to send (DOCKSIDE_FEEDS_FILE); default: nothing declared, all learned. */
  readonly feeds?: FeedsConfig;
}

/** Everything one step produced: exception states, partials for the aggregate stage, a punctuation. */
export interface StepOutput {
  readonly emissions: DetectedException[];
  readonly partials: PartialOut[];
  /** Set when the watermark closed windows: every partial up to it was sent (null = idle, no data at all). */
  readonly punctuation?: number | null;
}

export interface EventOutcome extends StepOutput {
  /** The event was behind the watermark (later than the allowed lateness); it still updated state. */
  readonly late: boolean;
  /** The watermark when the event arrived (stored with late events). */
  readonly watermarkMs: number;
}

export const DEFAULT_RETENTION_MS = 365 * 86_400_000;

/** The only shipment events a shipment's window contribution depends on (commitments, cancellations, scans). */
const CHANGES_CONTRIBUTION: ReadonlySet<EventType> = new Set([
  'shipment.committed',
  'shipment.cancelled',
  'wms.ship_scan',
]);

/**
 * Stage one of the stateful, event-time exception detector, for one partition. Pure: no I/O, no clock of
 * its own (the caller passes processing time), so the live workers and `dockside replay` run the very same
 * code. Events update order-independent facts; the rules triggered by the event's type are evaluated on
 * the subject; a rule that waits for a deadline gets one timer per (rule, subject) keyed by event time,
 * fired when the watermark passes it.
 */
export class Detector {
  state = new DetectorState();
  timers = new TimerQueue(SUBJECT_KINDS.length);
  private watermarks: Watermarks;
  readonly windows: WindowPartials;
  private readonly specs: Record<AggKind, WindowSpec>;
  private readonly rules: readonly Rule<SubjectKind>[];
  private readonly byTrigger: ReadonlyMap<EventType, number[]>;
  private readonly retentionMs: number;
  private sweepAtMs = Number.NEGATIVE_INFINITY;
  private readonly strings = new Interner();
  private readonly byKind: ReadonlyMap<SubjectKind, number[]>;
  /** One reusable evaluation context: no closure per evaluation on the hot path. */
  private readonly ctx: RuleContext;
  private firstSeenNowMs: number | undefined;
  private idleAnnounced = false;
  /** An open snapshot: every subject change first goes through its copy-on-write `touch`. */
  private cursor: SnapshotCursor | undefined;
  /** What each source sends (declared or learned from this partition's events). */
  private readonly feeds: FeedState;

  constructor(private readonly opts: DetectorOptions) {
    this.watermarks = new Watermarks(opts);
    // A policy can switch a type off (`thresholds.<type>.enabled: false`), e.g. missing_pod for a feed without PODs.
    this.rules = (opts.rules ?? defaultRules).filter(
      (r) => opts.policy.thresholds[r.type]?.enabled !== false,
    );
    const byTrigger = new Map<EventType, number[]>();
    this.rules.forEach((r, i) => {
      for (const t of r.triggers) byTrigger.set(t, [...(byTrigger.get(t) ?? []), i]);
    });
    this.byTrigger = byTrigger;
    // What a timer re-evaluates: rules whose result cannot change with the watermark alone are left out.
    const byKind = new Map<SubjectKind, number[]>();
    this.rules.forEach((r, i) => {
      if (!r.timeIndependent) byKind.set(r.subject, [...(byKind.get(r.subject) ?? []), i]);
    });
    this.byKind = byKind;
    this.specs = windowSpecs(opts.policy);
    this.windows = new WindowPartials(this.specs, opts.partition ?? 0);
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.feeds = new FeedState(opts.feeds);
    this.ctx = new RuleContext(opts.policy, this.feeds);
  }

  get partition(): number {
    return this.opts.partition ?? 0;
  }

  /** Handles one validated event. Throws DeadLetterError for an event that contradicts what is known. */
  onEvent(event: CanonicalEvent, nowMs: number): EventOutcome {
    const eventMs = timeMs(event.occurredAt);
    const key = partitionKey(event);
    const sep = key.indexOf(':');
    const kind = KIND_OF_PREFIX[key.slice(0, sep)];
    if (!kind) throw new DeadLetterError('EVENT_UNROUTABLE', `event ${event.id}: no subject for key ${key}`);
    const id = key.slice(sep + 1);
    this.checkConflict(event, kind, id);
    const watermarkMs = this.watermarks.current(nowMs);
    const late = eventMs < watermarkMs;
    this.watermarks.observe(event.source ?? '', eventMs, nowMs);
    const partials: PartialOut[] = [];
    const newContact =
      event.type === 'crm.contact' && isWismo(event.reason) && !this.contactKnown(kind, id, event.id);
    this.cursor?.touch(kind, id);
    const facts = this.state.getOrCreate(kind, id, eventMs);
    if (kind === 'shipment') {
      const f = facts as Subjects['shipment'];
      if (CHANGES_CONTRIBUTION.has(event.type)) {
        const before = contributionOf(f, this.specs);
        applyShipmentEvent(f, event, eventMs, this.strings);
        partials.push(...shipmentContributions(before, contributionOf(f, this.specs), this.windows));
      } else if (event.type === 'tms.pod' || (event.type === 'tms.status' && event.status === 'delivered')) {
        const source = deliveringSource(f);
        const hadPod = f.pods !== undefined;
        applyShipmentEvent(f, event, eventMs, this.strings);
        this.feeds.onShipment(f, source, hadPod);
      } else applyShipmentEvent(f, event, eventMs, this.strings);
    } else if (kind === 'load') applyLoadEvent(facts as Subjects['load'], event, eventMs);
    else {
      if (eventMs > facts.last) facts.last = eventMs;
      if (kind === 'customer' && newContact) {
        const c = facts as Subjects['customer'];
        c.contacts = [...(c.contacts ?? []), event.id];
      }
    }
    if (newContact) {
      const p = contactContribution(event, this.specs, this.windows);
      if (p) partials.push(p);
    }
    const emissions: DetectedException[] = [];
    const wm = this.watermarks.current(nowMs);
    let wake = Number.POSITIVE_INFINITY;
    for (const i of this.byTrigger.get(event.type) ?? []) {
      wake = Math.min(wake, this.evaluate(i, kind, id, facts, wm, nowMs, emissions, event));
    }
    // One timer per subject, at the earliest deadline any of its rules asked for. An earlier timer than
    // needed is harmless: firing re-evaluates the subject and sets the next one.
    const k = KIND_INDEX[kind];
    const current = this.timers.get(k, id);
    if (wake < Number.POSITIVE_INFINITY && (current === undefined || current > wake)) {
      this.timers.schedule(k, id, wake);
    }
    return { emissions, partials, late, watermarkMs };
  }

  /** Fires every timer the watermark passed, closes windows, and evicts expired state. */
  advance(nowMs: number): StepOutput {
    this.firstSeenNowMs ??= nowMs;
    const wm = this.watermarks.current(nowMs);
    const emissions: DetectedException[] = [];
    for (let due = this.timers.popDue(wm); due.length > 0; due = this.timers.popDue(wm)) {
      for (const t of due) {
        const kind = SUBJECT_KINDS[t.kind];
        if (!kind) continue;
        const id = t.id;
        const facts = this.state.map(kind).get(id);
        if (!facts) continue;
        this.cursor?.touch(kind, id, t.dueMs);
        let wake = Number.POSITIVE_INFINITY;
        for (const i of this.byKind.get(kind) ?? []) {
          wake = Math.min(wake, this.evaluate(i, kind, id, facts, wm, nowMs, emissions));
        }
        if (wake < Number.POSITIVE_INFINITY) this.timers.schedule(t.kind, id, wake);
      }
    }
    const closed = this.windows.close(wm);
    let punctuation: number | null | undefined = closed.moved ? wm : undefined;
    if (
      !this.watermarks.hasSources &&
      !this.idleAnnounced &&
      nowMs - this.firstSeenNowMs > this.opts.idleAdvanceMs
    ) {
      this.idleAnnounced = true;
      punctuation = null;
    }
    if (wm >= this.sweepAtMs) this.sweep(wm);
    return { emissions, partials: closed.partials, ...(punctuation !== undefined ? { punctuation } : {}) };
  }

  /** End of input (replay) or `--until`: the watermark is at least `ms`. */
  forceWatermark(ms: number): void {
    this.watermarks.force(ms);
  }

  watermarkMs(nowMs: number): number {
    return this.watermarks.current(nowMs);
  }

  sourceWatermarks(nowMs: number) {
    return this.watermarks.bySource(nowMs);
  }

  /** Per source: deliveries, PODs, what it is known to send, and the deliveries rules skipped for it. */
  feedStats(): FeedSourceView[] {
    return this.feeds.view();
  }

  stats(): { shipments: number; subjects: number; timers: number; partials: number } {
    return {
      shipments: this.state.shipment.size,
      subjects: this.state.size,
      timers: this.timers.size,
      partials: this.windows.size,
    };
  }

  snapshot(): DetectorSnapshot {
    return snapshotDetector(
      this.state,
      this.watermarks.snapshot(),
      this.timerList(),
      this.windows.snapshot(),
      this.sweepAtMs,
      this.feeds.snapshot(),
    );
  }

  /**
   * Opens a snapshot of the state as it is now (format 2, read out with `next()` while processing goes on);
   * `close()` it when done. One at a time.
   */
  openSnapshot(): { next(max?: number): string | undefined; close(): void } {
    if (this.cursor) throw new Error('a snapshot is already open');
    const cursor = new SnapshotCursor(this.state, this.timers, {
      watermark: this.watermarks.snapshot(),
      windows: this.windows.snapshot(),
      sweepAt: Number.isFinite(this.sweepAtMs) ? this.sweepAtMs : null,
      feeds: this.feeds.snapshot(),
    });
    this.cursor = cursor;
    return {
      next: (max) => cursor.next(max),
      close: () => {
        if (this.cursor === cursor) this.cursor = undefined;
      },
    };
  }

  /** Applies one validated record of a format-2 snapshot to a fresh detector (records in any order). */
  restoreRecord(r: SnapshotRecord, nowMs: number): void {
    if (r.t === 'meta') {
      this.watermarks = Watermarks.restore(r.meta.watermark, this.opts, nowMs);
      this.windows.restore(r.meta.windows);
      this.sweepAtMs = r.meta.sweepAt ?? Number.NEGATIVE_INFINITY;
      this.feeds.restore(r.meta.feeds);
    } else if (r.t === 'subject') {
      const facts =
        r.kind === 'shipment' ? compactShipmentFacts(r.facts as Subjects['shipment'], this.strings) : r.facts;
      this.state.map(r.kind).set(r.id, facts);
      if (r.dueMs !== null) this.timers.schedule(KIND_INDEX[r.kind], r.id, r.dueMs);
    }
  }

  static restore(snap: DetectorSnapshot, opts: DetectorOptions, nowMs: number): Detector {
    const d = new Detector(opts);
    d.state = restoreDetectorState(snap);
    d.watermarks = Watermarks.restore(snap.watermark, opts, nowMs);
    d.windows.restore(snap.windows);
    d.sweepAtMs = snap.sweepAt ?? Number.NEGATIVE_INFINITY;
    d.feeds.restore(snap.feeds);
    for (const [subjectKey, dueMs] of snap.timers) {
      const sep = subjectKey.indexOf(':');
      const kind = KIND_OF_PREFIX[subjectKey.slice(0, sep)];
      if (kind) d.timers.schedule(KIND_INDEX[kind], subjectKey.slice(sep + 1), dueMs);
    }
    return d;
  }

  private timerList(): [string, number][] {
    return this.timers
      .entries()
      .map((t) => [`${PREFIX_OF_KIND[SUBJECT_KINDS[t.kind] ?? 'shipment']}:${t.id}`, t.dueMs]);
  }

  /** Evaluates one rule on one subject, publishes what is new; returns the rule's next deadline (or +∞). */
  private evaluate(
    i: number,
    kind: SubjectKind,
    id: string,
    facts: Subjects[SubjectKind],
    watermarkMs: number,
    nowMs: number,
    out: DetectedException[],
    event?: CanonicalEvent,
  ): number {
    const rule = this.rules[i];
    if (!rule || rule.subject !== kind) return Number.POSITIVE_INFINITY;
    const ctx = this.ctx;
    ctx.watermarkMs = watermarkMs;
    ctx.key = id;
    ctx.event = event;
    ctx.facts = facts;
    const verdict = rule.evaluate(facts, ctx);
    if (verdict.suppressed !== undefined) this.suppressed(rule.type, verdict.suppressed, kind, facts);
    for (const d of verdict.drafts) {
      facts.ex ??= {};
      const ex = emitIfNewer(facts.ex, d, nowMs, this.opts.strict ?? false);
      if (ex) out.push(ex);
    }
    return verdict.wakeAt ?? Number.POSITIVE_INFINITY;
  }

  /** Counts a rule skipped for its subject's feed once per (rule, subject): the mark lives on the shipment. */
  private suppressed(type: string, source: string, kind: SubjectKind, facts: Subjects[SubjectKind]): void {
    if (kind === 'shipment') {
      const f = facts as Subjects['shipment'];
      const off = f.feedOff;
      if (off !== undefined && (off === type || off.split(' ').includes(type))) return;
      f.feedOff = this.strings.of(off === undefined ? type : `${off} ${type}`);
    }
    this.feeds.noteSuppressed(type, source);
  }

  private contactKnown(kind: SubjectKind, id: string, eventId: string): boolean {
    if (kind === 'shipment') return this.state.shipment.get(id)?.contacts?.includes(eventId) ?? false;
    if (kind === 'customer') return this.state.customer.get(id)?.contacts?.includes(eventId) ?? false;
    return false;
  }

  /** Drops subjects quiet for longer than the retention (event time), with their timers. */
  private sweep(watermarkMs: number): void {
    this.sweepAtMs = watermarkMs + Math.max(3_600_000, this.retentionMs / 16);
    const horizon = watermarkMs - this.retentionMs;
    for (const kind of SUBJECT_KINDS) {
      for (const [id, f] of this.state.map(kind)) {
        if (f.last >= horizon) continue;
        this.cursor?.touch(kind, id);
        this.state.map(kind).delete(id);
        this.timers.cancel(KIND_INDEX[kind], id);
      }
    }
    this.windows.evict(watermarkMs, this.retentionMs);
  }

  /**
   * A commitment naming another customer than the shipment's first one goes to the dead-letter stream. One
   * whose promisedDeliverBy is before its promisedShipBy is kept: each promise is checked on its own (the
   * ingest side records the inconsistency as a data-quality finding).
   */
  private checkConflict(event: CanonicalEvent, kind: SubjectKind, id: string): void {
    if (event.type !== 'shipment.committed' || kind !== 'shipment') return;
    const prev = this.state.shipment.get(id)?.commits?.[0];
    if (prev && prev.e !== event.id && prev.cust !== event.customerId) {
      throw new DeadLetterError(
        'COMMITMENT_CONFLICT',
        `shipment ${event.shipmentId}: already committed to customer ${prev.cust} by event ${prev.e}, not ${event.customerId}`,
      );
    }
  }
}

class RuleContext implements EvalContext {
  watermarkMs = Number.NEGATIVE_INFINITY;
  key = '';
  event: CanonicalEvent | undefined;
  facts: Subjects[SubjectKind] | undefined;

  constructor(
    readonly policy: Policy,
    private readonly feeds: FeedState,
  ) {}

  published(type: string, ...idParts: readonly (string | number)[]): boolean {
    return this.facts?.ex?.[publishedKey(type, idParts)] !== undefined;
  }

  feed(signal: FeedSignal, source: string, deadlineMs: number): FeedCoverage {
    return this.feeds.coverage(signal, source, deadlineMs);
  }
}
