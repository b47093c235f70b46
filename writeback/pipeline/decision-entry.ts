import { z } from 'zod';
import type { DetectedException } from '../../core/mod.ts';
import { type Decision, reasonCodes } from '../decide.ts';
import type { LogInput } from './ports.ts';

/**
 * A decision as the log stores it (entry details) and the dispatcher reads it back: the decision plus the
 * facts of the exception state that the actions need, so actions never re-read a newer state.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const decisionSchema = z.object({
  exceptionId: z.string(),
  exceptionVersion: z.number(),
  exceptionType: z.string(),
  customerId: z.string().optional(),
  outcome: z.enum(['approval', 'write', 'held', 'fallback', 'none', 'withdraw']),
  reasonCode: z.enum(reasonCodes),
  reason: z.string(),
  policyVersion: z.string(),
  rule: z.string().optional(),
  confidence: z.number(),
  confidenceMin: z.number().optional(),
  fields: z.array(z.object({ name: z.string(), value: scalar })),
  approvalSteps: z.array(z.object({ role: z.string(), timeoutMinutes: z.number() })),
  autoActions: z.array(
    z.object({ kind: z.enum(['create_crm_task', 'draft_customer_update']), actionId: z.string() }),
  ),
  fallback: z.array(
    z.object({ kind: z.string(), actionId: z.string(), params: z.record(z.string(), scalar) }),
  ),
  unknownActions: z.array(z.string()),
  writeId: z.string().optional(),
});

export const exceptionFactsSchema = z.object({
  status: z.string(),
  severity: z.string(),
  detectedAt: z.string(),
  occurredAt: z.string(),
  evidence: z.array(z.string()),
  shipmentId: z.string().optional(),
  warehouseId: z.string().optional(),
  customerTier: z.string().optional(),
  lane: z.string().optional(),
  sku: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type ExceptionFacts = z.output<typeof exceptionFactsSchema>;

export const decisionDetailsSchema = z.object({ decision: decisionSchema, exception: exceptionFactsSchema });
export type DecisionDetails = z.output<typeof decisionDetailsSchema>;

export function factsOf(ex: DetectedException): ExceptionFacts {
  const opt = <K extends string>(k: K, v: string | undefined) =>
    (v ? { [k]: v } : {}) as Partial<Record<K, string>>;
  return {
    status: ex.status,
    severity: ex.severity,
    detectedAt: ex.detectedAt,
    occurredAt: ex.occurredAt,
    evidence: ex.evidence,
    ...opt('shipmentId', ex.shipmentId),
    ...opt('warehouseId', ex.warehouseId),
    ...opt('customerTier', ex.customerTier),
    ...opt('lane', ex.lane),
    ...opt('sku', ex.sku),
    details: ex.details,
  };
}

/** Outcomes with nothing to act on: their entries keep the reason and the proposal, not the facts. */
export const inertOutcomes: ReadonlySet<Decision['outcome']> = new Set(['held', 'none']);

/**
 * The log entry of one decision (chain `dec.<p>`). A decision that acts carries everything its actions
 * need; one that does not (most of them: no rule, held) carries only what a reader of the log needs.
 */
export function decisionEntry(d: Decision, ex: DetectedException, actor = 'system:decider'): LogInput {
  const details = inertOutcomes.has(d.outcome)
    ? {
        decision: {
          outcome: d.outcome,
          reason: d.reason,
          confidence: d.confidence,
          ...(d.rule ? { rule: d.rule, confidenceMin: d.confidenceMin, fields: d.fields } : {}),
        },
      }
    : { decision: d, exception: factsOf(ex) };
  return {
    kind: 'decision',
    actor,
    reasonCode: d.reasonCode,
    policyVersion: d.policyVersion,
    exceptionId: d.exceptionId,
    ...(d.customerId ? { customerId: d.customerId } : {}),
    ...(d.writeId ? { ref: d.writeId } : {}),
    evidence: ex.evidence,
    details,
  };
}
