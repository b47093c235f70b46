import { z } from 'zod';
import { windowPartialsSnapshotSchema } from './aggregates/windows.ts';
import { customerFactsSchema, loadFactsSchema, shipmentFactsSchema, warehouseFactsSchema } from './facts.ts';
import { feedStateSchema } from './feeds.ts';
import { DetectorState } from './state.ts';
import { watermarkSnapshotSchema } from './watermark.ts';

/**
 * A stage-one detector's state as plain data: facts per subject (with the exception versions already
 * published), live timers, window partials, watermarks. The live worker stores it with the stream
 * sequence it covers; read back, it is validated like any other input.
 */
export const detectorSnapshotSchema = z.object({
  v: z.literal(1),
  watermark: watermarkSnapshotSchema,
  shipment: z.array(z.tuple([z.string(), shipmentFactsSchema])),
  load: z.array(z.tuple([z.string(), loadFactsSchema])),
  warehouse: z.array(z.tuple([z.string(), warehouseFactsSchema])),
  customer: z.array(z.tuple([z.string(), customerFactsSchema])),
  /** [subject key, due ms]: one timer per subject, at its earliest deadline */
  timers: z.array(z.tuple([z.string(), z.number()])),
  windows: windowPartialsSnapshotSchema,
  sweepAt: z.number().nullable(),
  /** What each source was learned to send; absent in snapshots written before feeds were tracked. */
  feeds: feedStateSchema.optional(),
});
export type DetectorSnapshot = z.output<typeof detectorSnapshotSchema>;

export function snapshotDetector(
  state: DetectorState,
  watermark: DetectorSnapshot['watermark'],
  timers: DetectorSnapshot['timers'],
  windows: DetectorSnapshot['windows'],
  sweepAtMs: number,
  feeds: NonNullable<DetectorSnapshot['feeds']>,
): DetectorSnapshot {
  return {
    v: 1,
    watermark,
    shipment: [...state.shipment],
    load: [...state.load],
    warehouse: [...state.warehouse],
    customer: [...state.customer],
    timers,
    windows,
    sweepAt: Number.isFinite(sweepAtMs) ? sweepAtMs : null,
    feeds,
  };
}

export function restoreDetectorState(s: DetectorSnapshot): DetectorState {
  const state = new DetectorState();
  for (const [id, f] of s.shipment) state.shipment.set(id, f);
  for (const [id, f] of s.load) state.load.set(id, f);
  for (const [id, f] of s.warehouse) state.warehouse.set(id, f);
  for (const [id, f] of s.customer) state.customer.set(id, f);
  return state;
}
