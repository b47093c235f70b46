import { createHash } from 'node:crypto';
import { z } from 'zod';
import { customerTiers } from './events.ts';

export const exceptionStatuses = ['open', 'assigned', 'resolved'] as const;
export const severities = ['low', 'medium', 'high', 'critical'] as const;

const rfc3339 = z.iso.datetime({ offset: true });

/** An exception as the detector emits it and every later module reads it (GUIDE §3). */
export const exceptionSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  status: z.enum(exceptionStatuses),
  severity: z.enum(severities),
  confidence: z.number().min(0).max(1),
  detectedAt: rfc3339,
  /** When the promise broke: the deadline for absence exceptions, the event time otherwise. */
  occurredAt: rfc3339,
  evidence: z.array(z.string()),
  shipmentId: z.string().optional(),
  warehouseId: z.string().optional(),
  customerId: z.string().optional(),
  customerTier: z.enum(customerTiers).optional(),
  lane: z.string().optional(),
  /** The carrier the shipment's commitment names (optional: older states and carrier-less shipments lack it). */
  carrierId: z.string().optional(),
  sku: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
  assignedTo: z.string().optional(),
  assignedAt: rfc3339.optional(),
  resolvedAt: rfc3339.optional(),
  resolution: z.string().optional(),
  /** Monotonic per id: a later lifecycle state always has a higher version (ReplacingMergeTree keeps the max). */
  version: z.number().int().nonnegative(),
});

export type DetectedException = z.output<typeof exceptionSchema>;

/**
 * Deterministic exception id: the same type + subject + deadline/evidence always yields the same id,
 * so redelivery and replay cannot create a second exception.
 */
export function exceptionId(type: string, ...parts: readonly (string | number)[]): string {
  const digest = createHash('sha256')
    .update([type, ...parts].join('\u001f'))
    .digest('hex')
    .slice(0, 24);
  return `${type}:${digest}`;
}

const STATUS_RANK: Record<(typeof exceptionStatuses)[number], number> = { open: 1, assigned: 2, resolved: 3 };

/**
 * Version of an exception state: the lifecycle rank dominates (resolved > assigned > open), then the
 * time of a person's action. The detector's own states carry time 0, so they are deterministic across
 * replays, and a person's later action always wins in ReplacingMergeTree(version).
 */
export function lifecycleVersion(status: (typeof exceptionStatuses)[number], atMs = 0): number {
  return STATUS_RANK[status] * 1e13 + atMs;
}
