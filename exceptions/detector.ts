import {
  type CanonicalEvent,
  DeadLetterError,
  type DetectedException,
  exceptionId,
  lifecycleVersion,
  type Policy,
} from '../core/mod.ts';
import { rules as defaultRules } from './rules/index.ts';
import { DetectorState } from './state.ts';
import { TimerQueue } from './timers.ts';
import type { ExceptionDraft, Rule, RuleContext } from './types.ts';
import { Watermark } from './watermark.ts';

export interface DetectorOptions {
  readonly policy: Policy;
  readonly allowedLatenessMs: number;
  readonly idleAdvanceMs: number;
  readonly rules?: readonly Rule[];
}

export interface EventOutcome {
  readonly emissions: DetectedException[];
  /** The event was behind the watermark (later than the allowed lateness); it still updated state. */
  readonly late: boolean;
}

/**
 * The stateful, event-time exception detector. Pure: no I/O, no clock of its own (the caller passes
 * processing time), so the live pipeline and `dockside replay` run the very same code.
 */
export class Detector {
  readonly state = new DetectorState();
  readonly timers = new TimerQueue();
  private readonly watermark: Watermark;
  private readonly rules: readonly Rule[];
  private readonly byType: ReadonlyMap<string, Rule>;
  /** Latest emitted state per exception id: makes emission idempotent and lets rules resolve. */
  private readonly known = new Map<string, DetectedException>();

  constructor(private readonly opts: DetectorOptions) {
    this.watermark = new Watermark(opts);
    this.rules = opts.rules ?? defaultRules;
    this.byType = new Map(this.rules.map((r) => [r.type, r]));
  }

  /** Handles one validated event. Throws DeadLetterError for an event it cannot make sense of. */
  onEvent(event: CanonicalEvent, nowMs: number): EventOutcome {
    const eventMs = Date.parse(event.occurredAt);
    checkConsistency(event, this.state);
    const late = this.watermark.isLate(eventMs, nowMs);
    this.watermark.observe(eventMs, nowMs);
    applyToState(event, this.state);
    const out: DetectedException[] = [];
    const ctx = this.context(out, nowMs, late);
    for (const rule of this.rules) rule.onEvent?.(event, ctx);
    return { emissions: out, late };
  }

  /** Fires every timer whose deadline the watermark has passed. */
  advance(nowMs: number): DetectedException[] {
    const out: DetectedException[] = [];
    const wm = this.watermark.current(nowMs);
    const ctx = this.context(out, nowMs, false);
    for (const timer of this.timers.popDue(wm)) this.byType.get(timer.rule)?.onTimer?.(timer, ctx);
    return out;
  }

  /** End of input (replay) or `--until`: the watermark is at least `ms`. */
  forceWatermark(ms: number): void {
    this.watermark.force(ms);
  }

  watermarkMs(nowMs: number): number {
    return this.watermark.current(nowMs);
  }

  stats(): { shipments: number; timers: number; exceptions: number } {
    return { shipments: this.state.shipments.size, timers: this.timers.size, exceptions: this.known.size };
  }

  private context(out: DetectedException[], nowMs: number, late: boolean): RuleContext {
    const detectedAt = new Date(nowMs).toISOString();
    return {
      policy: this.opts.policy,
      state: this.state,
      watermarkMs: this.watermark.current(nowMs),
      late,
      emit: (draft) => {
        const ex = toException(draft, detectedAt);
        if (this.known.has(ex.id)) return;
        this.known.set(ex.id, ex);
        out.push(ex);
      },
      resolve: (id, resolution, atMs, evidenceId) => {
        const prev = this.known.get(id);
        if (!prev || prev.status === 'resolved') return;
        const next: DetectedException = {
          ...prev,
          status: 'resolved',
          resolvedAt: new Date(atMs).toISOString(),
          resolution,
          evidence: [...prev.evidence, evidenceId],
          version: lifecycleVersion('resolved'),
        };
        this.known.set(id, next);
        out.push(next);
      },
      schedule: (timer) => this.timers.schedule(timer),
      cancel: (key) => void this.timers.cancel(key),
    };
  }
}

function toException(d: ExceptionDraft, detectedAt: string): DetectedException {
  return {
    id: exceptionId(d.type, ...d.idParts),
    type: d.type,
    status: 'open',
    severity: d.severity,
    confidence: Math.min(1, Math.max(0, d.confidence)),
    detectedAt,
    occurredAt: new Date(d.occurredAtMs).toISOString(),
    evidence: [...d.evidence],
    ...(d.shipmentId !== undefined ? { shipmentId: d.shipmentId } : {}),
    ...(d.warehouseId !== undefined ? { warehouseId: d.warehouseId } : {}),
    ...(d.customerId !== undefined ? { customerId: d.customerId } : {}),
    ...(d.customerTier !== undefined ? { customerTier: d.customerTier } : {}),
    ...(d.lane !== undefined ? { lane: d.lane } : {}),
    ...(d.sku !== undefined ? { sku: d.sku } : {}),
    details: { ...d.details },
    version: lifecycleVersion('open'),
  };
}

/** Schema-valid events that contradict themselves or what is known go to the dead-letter stream. */
function checkConsistency(event: CanonicalEvent, state: DetectorState): void {
  if (event.type !== 'shipment.committed') return;
  const shipBy = Date.parse(event.promisedShipBy);
  if (event.promisedDeliverBy !== undefined && Date.parse(event.promisedDeliverBy) < shipBy) {
    throw new DeadLetterError(
      'COMMITMENT_INCONSISTENT',
      `shipment ${event.shipmentId}: promisedDeliverBy ${event.promisedDeliverBy} is before promisedShipBy ${event.promisedShipBy}`,
    );
  }
  const prev = state.shipments.get(event.shipmentId)?.committed;
  if (prev && prev.eventId !== event.id && prev.customerId !== event.customerId) {
    throw new DeadLetterError(
      'COMMITMENT_CONFLICT',
      `shipment ${event.shipmentId}: already committed to customer ${prev.customerId} by event ${prev.eventId}, not ${event.customerId}`,
    );
  }
}

function applyToState(event: CanonicalEvent, state: DetectorState): void {
  const at = Date.parse(event.occurredAt);
  switch (event.type) {
    case 'shipment.committed':
      state.shipment(event.shipmentId).committed = {
        eventId: event.id,
        customerId: event.customerId,
        customerTier: event.customerTier,
        warehouseId: event.warehouseId,
        lane: event.lane,
        promisedShipByMs: Date.parse(event.promisedShipBy),
        ...(event.promisedDeliverBy ? { promisedDeliverByMs: Date.parse(event.promisedDeliverBy) } : {}),
        ...(event.carrierId ? { carrierId: event.carrierId } : {}),
      };
      return;
    case 'wms.ship_scan': {
      const s = state.shipment(event.shipmentId);
      // Keep the earliest scan: a repeated scan must not move the shipment's ship time.
      if (!s.shipScan || at < s.shipScan.atMs) s.shipScan = { eventId: event.id, atMs: at };
      return;
    }
    case 'shipment.cancelled':
      state.shipment(event.shipmentId).cancelled = { eventId: event.id, atMs: at };
      return;
    default:
      return;
  }
}
