import { z } from 'zod';

/**
 * What the planner API answers, as zod schemas: the handlers type their answers with them (so the code
 * cannot drift from the schema) and the OpenAPI document is generated from them (dashboards/openapi.ts).
 * The route tests parse real answers with them.
 */

const measure = z.enum(['committed', 'shipped']);
const time = z.string().describe('RFC 3339, UTC');
const day = z.string().describe('YYYY-MM-DD');

const paging = {
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int().describe('matching items over all pages'),
  nextPage: z.number().int().nullable(),
};

/** The fields that name the stored run behind an answer. */
const runFields = {
  lane: z.string(),
  warehouse: z.string().describe("'' when the lane is forecast over all warehouses"),
  runId: z.string(),
  createdAt: time,
};

export const intervalSchema = z.object({
  level: z.number().int().describe('e.g. 80 for the 80 % band'),
  lower: z.number(),
  upper: z.number(),
});

export const forecastPointSchema = z.object({
  date: day.describe('the day, or the Monday of the ISO week with granularity=week'),
  mean: z.number(),
  intervals: z.array(intervalSchema).describe('conformal bands learnt from the backtest'),
  days: z.number().int().optional().describe('granularity=week: days of the week covered'),
});

/** A model's backtest figures over the rolling-origin folds. */
const scoreFields = {
  folds: z.number().int(),
  points: z.number().int(),
  mape: z.number().nullable(),
  mapeSkippedZeros: z.number().int().describe('days with zero actuals MAPE left out'),
  wape: z.number().nullable(),
  smape: z.number().nullable(),
  mase: z.number().nullable(),
  bias: z.number().nullable(),
  coverage: z.record(z.string(), z.number().nullable()).describe('band level → share of actuals inside'),
};

const weights = z.record(z.string(), z.number()).describe('model → ensemble weight');

export const laneForecastsReply = z.object({
  measure,
  granularity: z.enum(['day', 'week']),
  ...paging,
  data: z.array(z.object({ ...runFields, model: z.string(), points: z.array(forecastPointSchema) })),
});

export const hierarchyForecastsReply = z.object({
  measure,
  granularity: z.enum(['day', 'week']),
  level: z.enum(['warehouse', 'total']),
  reconciliation: z.string().describe('how lane forecasts become totals, e.g. bottom-up'),
  ...paging,
  data: z.array(
    z.object({
      level: z.enum(['warehouse', 'total']),
      key: z.string().describe('the warehouse id, or TOTAL'),
      lanes: z.number().int(),
      model: z.string(),
      reconciliation: z.string(),
      points: z.array(forecastPointSchema),
    }),
  ),
});

/** `level=lane` (default) answers lanes; `level=warehouse|total` the reconciled totals. */
export const forecastsReply = z.union([laneForecastsReply, hierarchyForecastsReply]);

export const accuracyReply = z.object({
  measure,
  ...paging,
  data: z.array(
    z.object({
      lane: z.string(),
      warehouse: z.string(),
      runId: z.string(),
      backtestedAt: time,
      model: z.string(),
      served: z.boolean().describe('the forecast GET /api/forecasts returns'),
      selectedModel: z.string(),
      ensembleWeights: weights,
      horizon: z.number().int(),
      ...scoreFields,
    }),
  ),
});

export const alertsReply = z.object({
  measure,
  ...paging,
  data: z.array(
    z.object({
      id: z.string(),
      kind: z
        .string()
        .describe(
          "forecast_delta (a lane's next 7 days moved) or forecast_mape (live accuracy crossed its threshold)",
        ),
      createdAt: time,
      lane: z.string(),
      warehouse: z.string(),
      runId: z.string(),
      previousRunId: z.string(),
      windowStart: day,
      windowEnd: day,
      previousVolume: z.number(),
      newVolume: z.number(),
      change: z.number(),
      threshold: z.number(),
      direction: z.string(),
      value: z
        .number()
        .nullable()
        .optional()
        .describe('forecast_mape: the live MAPE that crossed the threshold'),
    }),
  ),
});

const scores = z.object({
  mape: z.number().nullable(),
  wape: z.number().nullable(),
  mase: z.number().nullable(),
});

export const lanesReply = z.object({
  measure,
  ...paging,
  data: z.array(
    z.object({
      ...runFields,
      origin: day,
      horizon: z.number().int(),
      model: z.string().describe('the served model'),
      selectedModel: z.string().nullable(),
      backtestedAt: time.nullable(),
      folds: z.number().int(),
      points: z.number().int(),
      accuracy: scores.nullable(),
      baseline: scores.extend({ model: z.string() }).nullable().describe('seasonal naive on the same folds'),
      skill: z.number().nullable().describe("1 − WAPE / the baseline's WAPE"),
    }),
  ),
});

export const seriesReply = z.object({
  measure,
  ...runFields,
  origin: day,
  horizon: z.number().int(),
  historyDays: z.number().int(),
  levels: z.array(z.number().int()),
  model: z.string(),
  selectedModel: z.string().nullable(),
  ensembleWeights: weights,
  backtestedAt: time.nullable(),
  actuals: z.array(z.object({ date: day, volume: z.number() })),
  forecast: z.array(forecastPointSchema),
  accuracy: z.array(
    z.object({
      model: z.string(),
      role: z.enum(['served', 'baseline', 'selected']).nullable(),
      ...scoreFields,
    }),
  ),
});

const comparison = {
  points: z.number().int().describe('(lane, day, step) points every compared forecast has'),
  actual: z.number().describe('Σ actual over those points'),
  served: z.number().nullable().describe("the served forecast's WAPE"),
  peers: z
    .array(z.object({ model: z.string(), wape: z.number().nullable() }))
    .describe("each peer's WAPE on the same points, best first"),
  bestPeer: z.string().nullable(),
  servedVsBestPeer: z
    .number()
    .nullable()
    .describe('1 − served / best peer WAPE: positive = served is better'),
  coverage: z
    .record(z.string(), z.number())
    .describe("band level → share of those points inside the served forecast's band (80 → 0.8: calibrated)"),
};

export const liveReply = z.object({
  measure,
  window: z
    .object({
      from: day,
      to: day,
      maxStep: z.number().int().describe('forecasts made 1..maxStep days ahead are scored'),
    })
    .nullable()
    .describe('null until a stored forecast covers a complete day'),
  peers: z.array(z.string()),
  network: z
    .object({
      ...comparison,
      lanes: z.number().int(),
      lanesServedBetter: z.number().int().describe('lanes where the served forecast beats every peer'),
    })
    .nullable(),
  ...paging,
  data: z.array(z.object({ lane: z.string(), warehouse: z.string(), ...comparison })),
});

/** An answer as a handler builds it: the schema's input, read-only all the way down (stored rows are). */
type Answer<T extends z.ZodType> = DeepReadonly<z.input<T>>;
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type LaneForecastsReply = Answer<typeof laneForecastsReply>;
export type HierarchyForecastsReply = Answer<typeof hierarchyForecastsReply>;
export type AccuracyReply = Answer<typeof accuracyReply>;
export type AlertsReply = Answer<typeof alertsReply>;
export type LanesReply = Answer<typeof lanesReply>;
export type SeriesReply = Answer<typeof seriesReply>;
export type LiveReply = Answer<typeof liveReply>;
