import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Logger, Store } from '../core/mod.ts';
import { fieldIssues, formatIssues, RejectError } from '../core/mod.ts';
import { intIn } from './cli-options.ts';
import { ALL_MODELS, COMBINED_MODELS } from './models/registry.ts';

/** What the planner API's route files share: query parsing, paging, time and CSV helpers. */
export interface ForecastRoutesDeps {
  readonly store: Store;
  readonly logger: Logger;
  /** Requests per client per minute (default 120). */
  readonly rateLimitPerMinute?: number;
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
    throw new RejectError('QUERY_INVALID', formatIssues(issues), issues, { cause: parsed.error });
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

export const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
