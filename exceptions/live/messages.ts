import { z } from 'zod';
import { partialSchema } from '../aggregates/windows.ts';

/** Messages on the detector stream; validated when read back (a boundary like any other). */
export const aggMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('partials'), from: z.number().int().nonnegative(), items: z.array(partialSchema) }),
  /** The sender closed and sent every window up to `wm`; null: it has no data at all (idle). */
  z.object({ t: z.literal('wm'), from: z.number().int().nonnegative(), wm: z.number().nullable() }),
]);
export type AggMessage = z.output<typeof aggMessageSchema>;

const iso = z.iso.datetime({ offset: true });

/** An event that arrived behind its partition's watermark: stored as late (ClickHouse late_events). */
export const lateNoticeSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  source: z.string(),
  partition: z.number().int(),
  streamSeq: z.number().int(),
  occurredAt: iso,
  watermarkAt: iso,
  arrivedAt: iso,
  subject: z.string(),
});
export type LateNotice = z.output<typeof lateNoticeSchema>;

/** What a source is known to send (exceptions/feeds.ts FeedSourceView), summed over the worker's partitions. */
const feedViewSchema = z.object({
  deliveries: z.number().int().nonnegative(),
  pods: z.number().int().nonnegative(),
  firstPodAt: iso.nullable(),
  pod: z.enum(['declared', 'declared-none', 'sends', 'none', 'learning']),
  /** Deliveries a rule skipped because of the feed, by rule type ("suppressed for feed"). */
  suppressed: z.record(z.string(), z.number().int().nonnegative()),
});

/** A periodic per-task sample, stored so detection health is queryable after the fact (detector_metrics). */
export const metricSampleSchema = z.object({
  at: iso,
  worker: z.string(),
  task: z.string(),
  events: z.number().int().nonnegative(),
  emissions: z.number().int().nonnegative(),
  late: z.number().int().nonnegative(),
  subjects: z.number().int().nonnegative(),
  timers: z.number().int().nonnegative(),
  watermarkLagSeconds: z.number().nullable(),
  latencyP50Ms: z.number().nullable(),
  latencyP99Ms: z.number().nullable(),
  absenceLagP99Ms: z.number().nullable(),
  sources: z.array(
    z.object({
      source: z.string(),
      lagSeconds: z.number(),
      idle: z.boolean(),
      feed: feedViewSchema.optional(),
    }),
  ),
});
export type MetricSample = z.output<typeof metricSampleSchema>;
