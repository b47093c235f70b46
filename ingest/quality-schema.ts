import { z } from 'zod';
import { findingCodes } from '../core/mod.ts';

/** `GET /api/quality`'s query and answer (the API docs are generated from these). */
export const sinceSchema = z.object({ since: z.iso.datetime({ offset: true }).optional() });

const count = z.number().int().nonnegative();
const seconds = z.number().nullable();
const budgetCounts = {
  type: z.string().describe('Exception type'),
  exceptions: count,
  shipments: count.describe('Committed shipments of the source or warehouse in the window'),
  per100: z.number().nullable().describe('Exceptions per 100 of those shipments; null without any'),
};

export const qualityReply = z.object({
  sources: z.array(
    z.object({
      source: z.string(),
      accepted: count,
      rejected: count,
      lagP50Seconds: seconds,
      lagP95Seconds: seconds,
      system: z.enum(['wms', 'tms']).nullable().describe("The policy's feed this source is, if any"),
    }),
  ),
  scanCoverage: z.array(
    z.object({ warehouseId: z.string(), committed: count, scanned: count, coverage: z.number() }),
  ),
  findings: z
    .array(
      z.object({
        source: z.string(),
        code: z.string().describe(`A finding code: ${findingCodes.join(', ')}`),
        count,
        latestEventId: z.string(),
        latestReason: z.string(),
        latestAt: z.iso.datetime({ offset: true }).describe('When the latest one arrived'),
      }),
    )
    .describe('Data-quality findings of accepted events (since `since`), per source and code'),
  feeds: z
    .array(
      z.object({
        source: z.string(),
        deliveries: count.describe('Shipments whose earliest delivered status came from this source'),
        pods: count.describe('Shipments it reported delivered that have a proof of delivery'),
        state: z.enum(['sends', 'none', 'unknown']),
        declared: z.boolean().describe('Declared in DOCKSIDE_FEEDS_FILE'),
        declaredPod: z.boolean().nullable(),
        missingPod: z.enum(['on', 'off']).describe('Whether missing_pod applies to its deliveries'),
        text: z.string().describe('e.g. "source olist sends no PODs: missing_pod is off for it"'),
      }),
    )
    .describe('What each source sends (all history; `since` does not apply)'),
  alertBudget: z
    .object({
      window: z.object({
        from: z.iso.datetime({ offset: true }).nullable(),
        to: z.iso.datetime({ offset: true }).nullable().describe('null: open (with `since`)'),
      }),
      bySource: z
        .array(z.object({ source: z.string(), ...budgetCounts }))
        .describe("By the source of the exception's shipment's commitment"),
      byWarehouse: z.array(z.object({ warehouse: z.string(), ...budgetCounts })),
    })
    .describe(
      'Exceptions per 100 committed shipments per type, over exception occurredAt from `since`, else the 7 days up to the latest exception; highest rate first',
    ),
});

export type QualityReply = z.input<typeof qualityReply>;
