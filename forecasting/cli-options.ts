import { z } from 'zod';
import { fieldIssues, formatIssues, RejectError } from '../core/mod.ts';
import { DEFAULT_MODELS } from './model-set.ts';
import { DEFAULT_FIT_WINDOW } from './models/augurs.ts';
import { ALL_MODELS } from './models/registry.ts';

/**
 * Options of `forecast backtest` / `forecast run`, validated once with zod. Commander hands over strings;
 * every error names the option, the value and what was expected (`horizon: got 0, expected an integer 1..365`).
 */
export const intIn = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `an integer ${min}..${max}` });
      return z.NEVER;
    }
    return n;
  });

const numberAtLeast = (min: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      ctx.addIssue({ code: 'custom', message: `a number >= ${min}` });
      return z.NEVER;
    }
    return n;
  });

const list = <T extends z.ZodType>(item: T, expected: string) =>
  z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
    const parts = (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    const out: z.output<T>[] = [];
    for (const p of parts) {
      const r = item.safeParse(p);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: `${expected}; ${JSON.stringify(p)} is not one` });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  });

const someModels = list(z.enum(ALL_MODELS), `a comma-separated list of ${ALL_MODELS.join(', ')} (or all)`);
export const modelList = z
  .union([z.literal('all'), z.string(), z.array(z.string())])
  .transform((v) => (v === 'all' ? [...ALL_MODELS] : v))
  .pipe(someModels);
const levelList = list(intIn(50, 99), 'a comma-separated list of interval levels, integers 50..99');

const common = {
  horizon: intIn(1, 365),
  folds: intIn(1, 52),
  innerFolds: intIn(0, 12),
  levels: levelList.default([80, 95]),
  models: modelList.default([...DEFAULT_MODELS]),
  fitWindow: intIn(0, 3650).default(DEFAULT_FIT_WINDOW),
  minTrainDays: intIn(14, 3650).default(28),
  seed: intIn(0, 2 ** 31 - 1).default(1),
  threads: intIn(0, 64).default(2),
  json: z.boolean().default(false),
};

export const backtestOptionsSchema = z.object({
  ...common,
  series: z.string().min(1, 'a path to a CSV file with columns lane,date,volume'),
  excludeWeeks: z.array(z.string()).default([]),
  candidates: modelList.optional(),
  lanes: list(z.string().min(1), 'a comma-separated list of lane names').optional(),
  totalLane: z.string().min(1).default('TOTAL'),
  targetMinVolume: numberAtLeast(0).default(1),
  /** An origin every 7 days over the last 26 weeks instead of K folds of H days (rolling.ts). */
  rolling: z.boolean().optional(),
  /** Run the served forecast's peers beside it (peers.ts); default true. */
  peers: z.boolean().optional(),
});
export type BacktestOptions = z.output<typeof backtestOptionsSchema>;

export const runOptionsSchema = z.object({
  ...common,
  measure: z.enum(['committed', 'shipped']).default('committed'),
  byWarehouse: z.boolean().default(false),
  lanes: list(z.string().min(1), 'a comma-separated list of lane names').optional(),
  region: z.enum(['BR', 'US', 'none']).default('none'),
  alertThreshold: numberAtLeast(0).default(0.2),
  alertMinVolume: numberAtLeast(0).default(5),
  historyDays: intIn(28, 3650).default(730),
});
export type RunOptions = z.output<typeof runOptionsSchema>;

export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    // Commander hands numbers over as text; show them as numbers (`got 0`, not `got "0"`).
    const shown =
      raw !== null && typeof raw === 'object'
        ? Object.fromEntries(
            Object.entries(raw).map(([k, v]) => [
              k,
              typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v,
            ]),
          )
        : raw;
    const issues = fieldIssues(parsed.error, shown);
    throw new RejectError('FORECAST_OPTION_INVALID', formatIssues(issues), issues, { cause: parsed.error });
  }
  return parsed.data;
}
