import type { DetectedException } from '../../core/mod.ts';
import { buildCustomerUpdate } from '../notify/draft.ts';
import type { DecisionDetails } from './decision-entry.ts';
import type { DraftBuilder } from './dispatcher.ts';

/** The exception state a decision was made on, rebuilt from the facts the log keeps. */
export function exceptionOf(details: DecisionDetails): DetectedException {
  const { decision: d, exception: f } = details;
  return {
    id: d.exceptionId,
    type: d.exceptionType,
    status: f.status === 'assigned' || f.status === 'resolved' ? f.status : 'open',
    severity: (['low', 'medium', 'high', 'critical'] as const).find((s) => s === f.severity) ?? 'medium',
    confidence: d.confidence,
    detectedAt: f.detectedAt,
    occurredAt: f.occurredAt,
    evidence: f.evidence,
    details: f.details,
    version: d.exceptionVersion,
    ...(d.customerId ? { customerId: d.customerId } : {}),
    ...(f.shipmentId ? { shipmentId: f.shipmentId } : {}),
    ...(f.warehouseId ? { warehouseId: f.warehouseId } : {}),
    ...(f.lane ? { lane: f.lane } : {}),
    ...(f.sku ? { sku: f.sku } : {}),
    ...(f.customerTier === 'tier1' || f.customerTier === 'tier2' || f.customerTier === 'tier3'
      ? { customerTier: f.customerTier }
      : {}),
  };
}

/** Customer update drafts (notify/draft.ts) as the dispatcher stores them. */
export const buildDraft: DraftBuilder = (details, events, opts) => {
  const draft = buildCustomerUpdate(exceptionOf(details), events, {
    piiRedaction: opts.piiRedaction,
    requireCitations: opts.requireCitations,
    now: new Date(opts.nowMs).toISOString(),
  });
  return {
    record: {
      id: draft.id,
      exceptionId: draft.exceptionId,
      customerId: draft.customerId,
      status: 'awaiting_approval',
      subject: draft.subject,
      text: draft.text,
      statements: draft.statements.map((s) => ({ text: s.text, citations: [...s.citations] })),
      createdAt: draft.createdAt,
    },
    inputs: { ...draft.inputs },
    redactions: { ...draft.redactions },
  };
};
