import { Command } from 'commander';
import { z } from 'zod';
import { loadConfig, migrate, openStore, RejectError, type Store } from '../core/mod.ts';
import { intIn, parseOptions } from './cli-options.ts';
import { forecastPoint, isoTime } from './http-common.ts';
import { forecastingMigrations } from './migrations.ts';
import { remoteForecasts } from './show-remote.ts';
import { type ShownForecast, showCsv, showText } from './show-text.ts';
import type { Measure } from './store.ts';
import { forecastRows, latestRuns } from './store-queries.ts';

/**
 * `dockside forecast show LANE [--days 14] [--warehouse W] [--csv | --json]`: the lane's latest stored
 * (served) forecast, its first days with their bands, as a terminal chart and a table (show-text.ts).
 * It reads the store like `forecast run`: beside a running `dockside up` on embedded storage the store is
 * locked, and the command says so in one line (exit 75). `--url` goes through the running server's
 * planner API instead (show-remote.ts), with `--token` when it asks for one.
 */
type Env = Readonly<Record<string, string | undefined>>;

export const showOptionsSchema = z.object({
  lane: z.string().min(1).max(128),
  days: intIn(1, 365).default(14),
  warehouse: z.string().max(128).optional(),
  measure: z.enum(['committed', 'shipped']).default('committed'),
  csv: z.boolean().default(false),
  json: z.boolean().default(false),
  url: z.url({ protocol: /^https?$/ }).optional(),
  token: z.string().min(1).optional(),
});

export function showCommand(env: Env): Command {
  return new Command('show')
    .description(
      "a lane's latest stored forecast, the next days with their bands: a terminal chart and table",
    )
    .argument('<lane>', 'lane, e.g. SP>RJ (quote it in the shell)')
    .option('--days <n>', 'days to show, 1..365', '14')
    .option('--warehouse <id>', "one warehouse's forecast ('' = the all-warehouse series)")
    .option('--measure <m>', 'committed or shipped', 'committed')
    .option('--csv', 'CSV for spreadsheets: lane,warehouse,date,mean,lower_80,upper_80,…')
    .option('--json', 'print JSON')
    .option('--url <url>', "a running server's base URL (e.g. http://127.0.0.1:8080): go through its API")
    .option('--token <jwt>', 'bearer token for --url (dockside token --user U --role planner)')
    .action(async (lane: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(showOptionsSchema, { ...raw, lane });
      const shown = opts.url
        ? await remoteForecasts(opts.url, opts.token, opts)
        : await localForecasts(env, opts);
      await write(
        opts.csv ? showCsv(shown) : opts.json ? `${JSON.stringify(shown)}\n` : showText(shown, opts.days),
      );
    });
}

async function localForecasts(
  env: Env,
  q: { lane: string; measure: Measure; warehouse?: string | undefined; days: number },
): Promise<ShownForecast[]> {
  const config = loadConfig(env);
  const store = await openStore(config);
  try {
    await migrate(store, config.clickhouse, forecastingMigrations);
    return await storedForecasts(store, q.lane, q.measure, q.warehouse, q.days);
  } finally {
    await store.close();
  }
}

/** The lane's latest served forecast per warehouse (one, with --warehouse), its first `days` days. */
export async function storedForecasts(
  store: Store,
  lane: string,
  measure: Measure,
  warehouse: string | undefined,
  days: number,
): Promise<ShownForecast[]> {
  const filter = { measure, lane, ...(warehouse !== undefined ? { warehouse } : {}) };
  const { runs } = await latestRuns(store, filter, { limit: 100, offset: 0 });
  if (runs.length === 0) {
    const which = warehouse === undefined ? '' : ` and warehouse ${JSON.stringify(warehouse)}`;
    throw new RejectError(
      'LANE_UNKNOWN',
      `lane: got ${JSON.stringify(lane)}${which}, expected a lane with a stored ${measure} forecast (\`dockside forecast run\` stores them)`,
      [{ field: 'lane', value: lane, expected: `a lane with a stored ${measure} forecast` }],
    );
  }
  const rows = await forecastRows(store, measure, runs, undefined, days);
  return runs.map((run) => {
    const mine = rows.filter((r) => r.warehouse_id === run.warehouse_id && r.run_id === run.run_id);
    return {
      lane: run.lane,
      warehouse: run.warehouse_id,
      measure,
      runId: run.run_id,
      createdAt: isoTime(run.created_at),
      model: mine[0]?.model ?? run.served,
      horizon: run.horizon,
      points: mine.map(forecastPoint),
    };
  });
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}
