import type {
  CanonicalEvent,
  customerTiers,
  EventType,
  FeedSignal,
  Policy,
  severities,
} from '../core/mod.ts';
import type { CustomerFacts, LoadFacts, ShipmentFacts, WarehouseFacts } from './facts.ts';

export type CustomerTier = (typeof customerTiers)[number];
export type Severity = (typeof severities)[number];

/** The keyed subjects the detector keeps facts about; each event belongs to exactly one (core partitionKey). */
export interface Subjects {
  shipment: ShipmentFacts;
  load: LoadFacts;
  warehouse: WarehouseFacts;
  customer: CustomerFacts;
}
export type SubjectKind = keyof Subjects;

/** What a rule reports; the detector adds status rank, version, detectedAt and the id hash. */
export interface ExceptionDraft {
  readonly type: string;
  /** Parts that make the id deterministic: subject + deadline or evidence. */
  readonly idParts: readonly (string | number)[];
  /** When the promise broke: the deadline for absences, the fact's event time otherwise. */
  readonly occurredAtMs: number;
  readonly severity: Severity;
  readonly confidence: number;
  /**
   * Every event the draft's content depends on, in a deterministic order. The detector's version is
   * rank·1e13 + evidence.length, so content may only change when evidence grows (see docs/exceptions.md).
   */
  readonly evidence: readonly string[];
  readonly shipmentId?: string;
  readonly warehouseId?: string;
  readonly customerId?: string;
  readonly customerTier?: CustomerTier;
  readonly lane?: string;
  readonly carrierId?: string;
  readonly sku?: string;
  /** Built only when the draft is published (most evaluations re-derive a state already published). */
  readonly details?: Record<string, unknown> | (() => Record<string, unknown>);
  /** Overrides evidence.length as the version's revision (windowed aggregates count partial revisions). */
  readonly revision?: number;
  /** Set when the condition cleared (auto-resolution) or was retracted by a late fact. */
  readonly resolved?: { readonly atMs: number; readonly reason: string };
}

export interface EvalContext {
  readonly policy: Policy;
  /** The partition's watermark (event time): absences at or before it may fire. */
  readonly watermarkMs: number;
  /** The subject's key without its kind prefix (shipment id, load id, warehouse id, customer id). */
  readonly key: string;
  /** The event being handled, when evaluation was triggered by one (per-event rules read it). */
  readonly event?: CanonicalEvent | undefined;
  /** True when the exception with these id parts was already published (a late fact may retract it). */
  published(type: string, ...idParts: readonly (string | number)[]): boolean;
  /**
   * Whether `source` sends `signal` for a deadline at `deadlineMs` (exceptions/feeds.ts): a rule waiting for
   * that signal asks once the watermark passed the deadline (the answer is final then), or any time for
   * 'never' (declared: decided without waiting).
   */
  feed(signal: FeedSignal, source: string, deadlineMs: number): FeedCoverage;
}

/**
 * declared: the feeds file says the source sends the signal; never: it says it does not; learned: the source
 * sent it before the deadline; unseen: not declared, and not sent before the deadline.
 */
export type FeedCoverage = 'declared' | 'never' | 'learned' | 'unseen';

export interface Verdict {
  readonly drafts: readonly ExceptionDraft[];
  /** The next event time at which the outcome may change (a deadline); the detector sets a timer there. */
  readonly wakeAt?: number;
  /**
   * The rule did not apply because the subject's feed does not send the signal it waits for: that source.
   * The detector counts it once per (rule, subject) as "suppressed for feed" (Detector.feedStats()).
   */
  readonly suppressed?: string;
}

/**
 * One exception type: a pure function from a subject's facts (and the watermark) to the exceptions that
 * subject should have. Evaluated whenever a trigger event touches the subject and when its timer fires.
 * A new type is one file in exceptions/rules/ plus a line in rules/index.ts plus a test.
 */
export interface Rule<K extends SubjectKind = SubjectKind> {
  readonly type: string;
  readonly subject: K;
  readonly triggers: readonly EventType[];
  /**
   * True when the result depends only on facts that the trigger events change (never on the watermark, no
   * `wakeAt`): a timer firing for the subject then cannot change it, so timers skip it.
   */
  readonly timeIndependent?: boolean;
  evaluate(facts: Subjects[K], ctx: EvalContext): Verdict;
}

/** Helps rule files keep their subject kind while being listed together. */
export function defineRule<K extends SubjectKind>(rule: Rule<K>): Rule<K> {
  return rule;
}

export const NOTHING: Verdict = Object.freeze({ drafts: [] });
