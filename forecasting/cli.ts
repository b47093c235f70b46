import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createLogger, loadConfig, migrate, openStore, RejectError } from '../core/mod.ts';
import { backtestCsv } from './backtest-csv.ts';
import { backtestOptionsSchema, parseOptions, runOptionsSchema } from './cli-options.ts';
import { showCommand } from './cli-show.ts';
import { formatDay, parseDay } from './days.ts';
import { runForecasts } from './forecast-run.ts';
import { forecastingMigrations } from './migrations.ts';
import { DEFAULT_MODELS } from './model-set.ts';
import { DEFAULT_FIT_WINDOW } from './models/augurs.ts';
import { ALL_MODELS } from './models/registry.ts';
import { olistSeries } from './olist.ts';
import { readOlist } from './olist-files.ts';
import { progressFor } from './progress.ts';
import { reportText } from './report-text.ts';
import { formatSeriesCsv } from './series-csv.ts';

/**
 * `dockside forecast backtest | run | olist-series`. Machine output with --json; a progress bar on
 * stderr when it is a terminal; bad input is a RejectError (main prints it and exits 2).
 */
type Env = Readonly<Record<string, string | undefined>>;

const modelsHelp = `comma-separated models (${ALL_MODELS.join(', ')})`;

function withModelOptions(cmd: Command, horizon: string): Command {
  return cmd
    .option('--horizon <days>', 'forecast horizon H, 1..365', horizon)
    .option('--folds <k>', 'test folds K of H days at the end of the data', '4')
    .option('--inner-folds <k>', 'windows before each fold that decide per-lane selection and ensemble', '2')
    .option('--levels <list>', 'prediction interval levels in percent', '80,95')
    .option('--models <list>', modelsHelp, DEFAULT_MODELS.join(','))
    .option('--fit-window <days>', 'days the augurs models fit on (0 = all)', String(DEFAULT_FIT_WINDOW))
    .option('--min-train-days <days>', 'history a lane needs before an origin to be forecast there', '28')
    .option('--seed <n>', 'seed of the global model', '1')
    .option('--threads <n>', 'worker threads for the per-lane models (0 = in-process)', '2')
    .option('--json', 'print JSON');
}

/** `env` is the process environment at the composition edge; nothing below reads it. */
export function forecastCommand(env: Env = process.env): Command {
  const forecast = new Command('forecast').description(
    'lane volume forecasts: backtests, stored forecasts, data',
  );

  withModelOptions(
    forecast
      .command('backtest')
      .description(
        'rolling-origin backtest of every model on a lane,date,volume CSV (optional regressor columns)',
      )
      .requiredOption('--series <file>', 'CSV with columns lane,date,volume[,warehouse][,regressor…]'),
    '14',
  )
    .option(
      '--exclude-weeks <weeks...>',
      'leave weeks out of scoring: 2017-W47, 2017-11-24 (its week) or 2017-11-20..2017-11-26',
    )
    .option('--candidates <list>', 'models selection and ensemble may use (default: all that run)')
    .option('--lanes <list>', 'only these lanes')
    .option(
      '--total-lane <name>',
      'series holding the total over lanes: reported alone, not in lane aggregates',
      'TOTAL',
    )
    .option('--target-min-volume <n>', 'lanes averaging at least this per day form the target set', '1')
    .option('--rolling', 'an origin every 7 days over the last 26 weeks (replaces --folds); WAPE per origin')
    .option(
      '--no-peers',
      "do not run the served forecast's peers (naive, seasonal naive, 28-day mean, arima, mstl-raw)",
    )
    .option('--out <file>', 'also write the JSON document to this file')
    .action(async (raw: Record<string, unknown>) => {
      const { out, ...rest } = raw;
      const opts = parseOptions(backtestOptionsSchema, rest);
      const bar = progressFor(process.stderr);
      const { report } = await backtestCsv(opts, (done, total, label) => bar?.update(done, total, label));
      bar?.clear();
      const json = JSON.stringify(report);
      if (typeof out === 'string') await writeFile(out, json);
      await write(opts.json ? `${json}\n` : reportText(report));
    });

  withModelOptions(
    forecast
      .command('run')
      .description('backtest and forecast the stored lane series; store forecasts, accuracy and alerts'),
    '28',
  )
    .option('--measure <m>', 'committed (commitments per day) or shipped (ship scans per day)', 'committed')
    .option('--by-warehouse', 'one series per lane and warehouse')
    .option('--lanes <list>', 'only these lanes')
    .option('--region <r>', 'holiday calendar regressors: BR, US or none', 'none')
    .option(
      '--as-of <date>',
      'first day to forecast (YYYY-MM-DD), or latest = the day after the last stored data',
      'today',
    )
    .option('--history-days <n>', 'days of history to read', '730')
    .option('--alert-threshold <x>', 'relative move of the next-7-day volume that raises an alert', '0.2')
    .option('--alert-min-volume <n>', 'absolute move (shipments) an alert also needs', '5')
    .action(async (raw: Record<string, unknown>) => {
      const { asOf, ...rest } = raw;
      const opts = parseOptions(runOptionsSchema, rest);
      const start = parseAsOf(asOf);
      const config = loadConfig(env);
      const logger = createLogger(config);
      const store = await openStore(config);
      try {
        await migrate(store, config.clickhouse, forecastingMigrations);
        const bar = progressFor(process.stderr);
        const summary = await runForecasts(
          {
            measure: opts.measure,
            byWarehouse: opts.byWarehouse,
            horizon: opts.horizon,
            folds: opts.folds,
            innerFolds: opts.innerFolds,
            levels: opts.levels,
            models: opts.models,
            fitWindow: opts.fitWindow,
            minTrainDays: opts.minTrainDays,
            seed: opts.seed,
            threads: opts.threads,
            historyDays: opts.historyDays,
            asOf: start,
            ...(opts.lanes ? { lanes: opts.lanes } : {}),
            ...(opts.region !== 'none' ? { region: opts.region } : {}),
            alerts: { threshold: opts.alertThreshold, minVolume: opts.alertMinVolume },
          },
          { store, logger, onProgress: (done, total, label) => bar?.update(done, total, label) },
        );
        bar?.clear();
        await write(
          opts.json
            ? `${JSON.stringify(summary)}\n`
            : summary.skipped
              ? `nothing forecast: ${summary.skipped}\n`
              : `run ${summary.runId}: ${summary.lanes} lanes forecast from ${summary.origin} (${summary.folds} backtest folds), ${summary.alerts.length} forecast-delta alerts\n`,
        );
      } finally {
        await store.close();
      }
    });

  forecast
    .command('olist-series')
    .description(
      'lane,date,volume CSV from the Olist CSVs (lanes = seller state>customer state by purchase day, plus TOTAL)',
    )
    .option('--data <dir>', 'folder holding the Olist CSVs', 'testdata/olist')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--json', 'NDJSON, one {lane, date, volume, regressors…} per line, instead of CSV')
    .action(async (raw: { data: string; out?: string; json?: boolean }) => {
      const series = olistSeries(await readOlist(raw.data));
      const text = raw.json
        ? series
            .flatMap((s) =>
              Array.from(
                s.values,
                (volume, i) =>
                  `${JSON.stringify({
                    lane: s.lane,
                    date: formatDay(s.start + i),
                    volume,
                    ...Object.fromEntries(Object.entries(s.regressors).map(([k, r]) => [k, r[i] ?? 0])),
                  })}\n`,
              ),
            )
            .join('')
        : formatSeriesCsv(series, formatDay);
      if (raw.out) await writeFile(raw.out, text);
      else await write(text);
    });

  forecast.addCommand(showCommand(env));

  return forecast;
}

function parseAsOf(value: unknown): number | 'today' | 'latest' {
  if (value === undefined || value === 'today') return 'today';
  if (value === 'latest') return 'latest';
  const day = typeof value === 'string' ? parseDay(value) : undefined;
  if (day === undefined) {
    throw new RejectError(
      'FORECAST_OPTION_INVALID',
      `as-of: got ${JSON.stringify(value)}, expected YYYY-MM-DD, today or latest`,
      [{ field: 'as-of', value, expected: 'YYYY-MM-DD, today or latest' }],
    );
  }
  return day;
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}
