import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CapacityConfig, Logger, Store } from '../core/mod.ts';
import { fieldIssues, formatIssues, RejectError } from '../core/mod.ts';
import { intIn } from './cli-options.ts';
import type { PlannerCache } from './http-cache.ts';
import { ALL_MODELS, COMBINED_MODELS } from './models/registry.ts';
import type { Measure } from './store.ts';
import type { LaneFilter, LatestRun, StoredAccuracyRow, StoredForecastRow } from './store-queries.ts';

/** What the planner API's route files share: query parsing, paging, time and CSV helpers. */
export interface ForecastRoutesDeps {
  readonly store: Store;
  readonly logger: Logger;
  /** Requests per client per minute (default 120). */
  readonly rateLimitPerMinute?: number;
  /** Declared truck capacities (DOCKSIDE_CAPACITY_FILE); absent = learned from tenders only. */
  readonly capacity?: CapacityConfig;
  /** The clock live scores are computed at (default Date.now). */
  readonly now?: () => number;
  /** Keeps answers in memory (http-cache.ts); absent: every request reads the store. */
  readonly cache?: PlannerCache;
}

export const models = [...ALL_MODELS, ...COMBINED_MODELS] as const;
export const page = { page: intIn(1, 1_000_000).default(1), pageSize: intIn(1, 500).default(50) };
export const laneFields = {
  lane: z.string().min(1).max(128).optional(),
  warehouse: z.string().max(128).optional(),
  measure: z.enum(['committed', 'shipped']).default('committed'),
};

export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error, query);
    throw new RejectError('REQUEST_INVALID', formatIssues(issues), issues, { cause: parsed.error });
  }
  return parsed.data;
}

export function unknownLane(lane: string, what: string): RejectError {
  return new RejectError(
    'LANE_UNKNOWN',
    `lane: got ${JSON.stringify(lane)}, expected a lane with ${what} (list them with GET /api/forecasts/lanes)`,
    [{ field: 'lane', value: lane, expected: `a lane with ${what}` }],
    { httpStatus: 404 },
  );
}

/** The store's filter from a query's lane fields: an empty lane or search filters nothing, a '' warehouse does. */
export function laneFilter(q: {
  measure: Measure;
  q?: string;
  lane?: string;
  warehouse?: string;
}): LaneFilter {
  const search = q.q?.trim();
  return {
    measure: q.measure,
    ...(search ? { q: search } : {}),
    ...(q.lane ? { lane: q.lane } : {}),
    ...(q.warehouse !== undefined ? { warehouse: q.warehouse } : {}),
  };
}

export const limits = (q: { page: number; pageSize: number }) => ({
  limit: q.pageSize,
  offset: (q.page - 1) * q.pageSize,
});

export function pageInfo(q: { page: number; pageSize: number }, total: number) {
  return {
    page: q.page,
    pageSize: q.pageSize,
    total,
    nextPage: q.page * q.pageSize < total ? q.page + 1 : null,
  };
}

/** ClickHouse DateTime64 text (UTC) as RFC 3339. */
export function isoTime(text: string): string {
  return `${text.replace(' ', 'T')}Z`;
}

/** The rows that belong to a run (its lane and warehouse). */
export function ofRun<R extends { lane: string; warehouse_id: string; run_id: string }>(
  rows: readonly R[],
  run: LatestRun,
): R[] {
  return rows.filter(
    (r) => r.lane === run.lane && r.warehouse_id === run.warehouse_id && r.run_id === run.run_id,
  );
}

/** The fields that name a run in an answer. */
export function runFields(run: LatestRun) {
  return {
    lane: run.lane,
    warehouse: run.warehouse_id,
    runId: run.run_id,
    createdAt: isoTime(run.created_at),
  };
}

/** A stored forecast row as an answer's point: the mean and one interval per level. */
export function forecastPoint(r: StoredForecastRow) {
  return {
    date: r.date,
    mean: r.mean,
    intervals: r.levels.map((level, i) => ({ level, lower: r.lower[i] ?? 0, upper: r.upper[i] ?? 0 })),
  };
}

/** A stored backtest's figures as an answer gives them (coverage keyed by level). */
export function scoreFields(r: StoredAccuracyRow) {
  return {
    folds: r.folds,
    points: r.points,
    mape: r.mape,
    mapeSkippedZeros: r.mape_skipped_zeros,
    wape: r.wape,
    smape: r.smape,
    mase: r.mase,
    bias: r.bias,
    coverage: Object.fromEntries(r.coverage_levels.map((l, i) => [String(l), r.coverage[i] ?? null])),
  };
}

const weightsSchema = z.record(z.string(), z.number());
export function weightsOf(text: string): Record<string, number> {
  try {
    const parsed = weightsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  return format === 'csv' || (format === undefined && (accept ?? '').includes('text/csv'));
}

export function sendCsv(reply: FastifyReply, text: string, filename?: string): FastifyReply {
  if (filename) reply.header('content-disposition', `attachment; filename="${filename}"`);
  return reply.type('text/csv; charset=utf-8').send(text);
}

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** A CSV document: the header, then one line per row. */
export function csvText(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `${[header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n')}\n`;
}

/** The interval columns of a CSV, per level: `lower_80,upper_80,…`. */
export const boundColumns = (levels: readonly number[]) =>
  levels.flatMap((l) => [`lower_${l}`, `upper_${l}`]);

/** A point's bounds in the order of boundColumns (empty where it has no such interval). */
export function boundsAt(
  intervals: readonly { level: number; lower: number; upper: number }[] | undefined,
  levels: readonly number[],
) {
  return levels.flatMap((l) => {
    const i = intervals?.find((x) => x.level === l);
    return [i?.lower, i?.upper];
  });
}
