import type { Rule, SubjectKind } from '../types.ts';
import { carrierDelayReported } from './carrier-delay-reported.ts';
import { deliveryAtRisk } from './delivery-at-risk.ts';
import { excessiveDwell } from './excessive-dwell.ts';
import { inventoryMismatch } from './inventory-mismatch.ts';
import { lateDelivery } from './late-delivery.ts';
import { lateScan } from './late-scan.ts';
import { missedPickup } from './missed-pickup.ts';
import { missingPod } from './missing-pod.ts';
import { shortPick } from './short-pick.ts';
import { tenderRejected } from './tender-rejected.ts';
import { tenderUnanswered } from './tender-unanswered.ts';

/**
 * Every keyed exception type the detector runs (the two windowed aggregates, wismo_spike and
 * scan_coverage_low, live in exceptions/aggregates/). A new type is one file here plus a line below.
 */
export const rules: readonly Rule<SubjectKind>[] = [
  lateScan,
  shortPick,
  missedPickup,
  lateDelivery,
  deliveryAtRisk,
  missingPod,
  excessiveDwell,
  carrierDelayReported,
  tenderRejected,
  tenderUnanswered,
  inventoryMismatch,
] as readonly Rule<SubjectKind>[];
