import { type Policy, threshold } from '../../core/mod.ts';
import { confidence, DIRECT, sampleSize } from '../confidence.ts';
import type { ExceptionDraft } from '../types.ts';
import type { MergedWindow } from './merged.ts';

/**
 * scan_coverage_low: a data-quality gate per warehouse and window (`thresholds.scan_coverage_low.window_hours`,
 * default 24, by promisedShipBy): the share of due shipments (committed, not cancelled by their ship-by)
 * with a ship scan by the window's close point is below `required_scan_coverage_min` (the type's key, else
 * `systems.wms.required_scan_coverage_min`, else 0.85), with at least `min_shipments` (default 20) due.
 */
const TYPE = 'scan_coverage_low';
export const COVERAGE_MIN_DEFAULT = 0.85;
export const COVERAGE_MIN_SHIPMENTS_DEFAULT = 20;

export function requiredCoverage(policy: Policy): number {
  return threshold(
    policy,
    TYPE,
    'required_scan_coverage_min',
    policy.systems?.wms?.required_scan_coverage_min ?? COVERAGE_MIN_DEFAULT,
  );
}

export function scanCoverageLow(
  w: MergedWindow,
  policy: Policy,
  published: boolean,
): ExceptionDraft | undefined {
  const due = w.a;
  const scanned = w.b;
  const min = requiredCoverage(policy);
  const minShipments = threshold(policy, TYPE, 'min_shipments', COVERAGE_MIN_SHIPMENTS_DEFAULT);
  const coverage = due > 0 ? scanned / due : 1;
  const breached = due >= minShipments && coverage < min;
  if (!breached && !published) return undefined;
  return {
    type: TYPE,
    idParts: [w.key, w.startMs],
    occurredAtMs: w.endMs,
    severity: coverage < min / 2 ? 'high' : 'medium',
    confidence: confidence(DIRECT, sampleSize(due)),
    evidence: [],
    revision: w.revision,
    warehouseId: w.key,
    details: () => ({
      windowStart: new Date(w.startMs).toISOString(),
      windowEnd: new Date(w.endMs).toISOString(),
      due,
      scanned,
      coverage: Math.round(coverage * 1000) / 1000,
      requiredCoverageMin: min,
    }),
    ...(breached ? {} : { resolved: { atMs: w.endMs, reason: 'condition cleared by late data' } }),
  };
}
