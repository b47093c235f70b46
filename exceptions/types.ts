import type { CanonicalEvent, customerTiers, DetectedException, Policy, severities } from '../core/mod.ts';
import type { DetectorState } from './state.ts';
import type { Timer } from './timers.ts';

export type CustomerTier = (typeof customerTiers)[number];
export type Severity = (typeof severities)[number];

/** What a rule reports; the detector adds id, status, version and times. */
export interface ExceptionDraft {
  readonly type: string;
  /** Parts that make the id deterministic: subject + deadline or evidence. */
  readonly idParts: readonly (string | number)[];
  readonly occurredAtMs: number;
  readonly severity: Severity;
  readonly confidence: number;
  readonly evidence: readonly string[];
  readonly shipmentId?: string;
  readonly warehouseId?: string;
  readonly customerId?: string;
  readonly customerTier?: CustomerTier;
  readonly lane?: string;
  readonly sku?: string;
  readonly details?: Record<string, unknown>;
}

export interface RuleContext {
  readonly policy: Policy;
  readonly state: DetectorState;
  /** Current watermark (event time). */
  readonly watermarkMs: number;
  /** True when the event being handled is behind the watermark (later than the allowed lateness). */
  readonly late: boolean;
  emit(draft: ExceptionDraft): void;
  /** Auto-resolves an open exception of this detector (the condition cleared). */
  resolve(exceptionId: string, resolution: string, atMs: number, evidenceId: string): void;
  schedule(timer: Timer): void;
  cancel(key: string): void;
}

/** One exception type: a file in exceptions/rules/ plus a test. */
export interface Rule {
  readonly type: string;
  onEvent?(event: CanonicalEvent, ctx: RuleContext): void;
  onTimer?(timer: Timer, ctx: RuleContext): void;
}

export type Emission = DetectedException;
