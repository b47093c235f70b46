import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dayOf, formatDay, weekday } from '../../forecasting/days.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/env.ts';

const dir = tempDir('forecast-cli');
afterAll(() => dir.remove());

function csvFile(name: string, text: string): string {
  const file = path.join(dir.dir, name);
  writeFileSync(file, text);
  return file;
}

const start = dayOf('2024-01-01');
const rows = ['lane,date,volume'];
for (const lane of ['A>B', 'C>D']) {
  for (let t = 0; t < 84; t++)
    rows.push(
      `${lane},${formatDay(start + t)},${(lane === 'A>B' ? 10 : 3) + (weekday(start + t) >= 5 ? 0 : 2)}`,
    );
}
const good = csvFile('good.csv', `${rows.join('\n')}\n`);
const missing = csvFile('missing.csv', 'lane,date\nA>B,2024-01-01\n');

const report = z.object({
  kind: z.literal('dockside.forecast.backtest'),
  params: z.object({ horizon: z.number(), folds: z.number() }),
  data: z.object({ origins: z.array(z.string()) }),
  lanes: z.array(
    z.object({
      lane: z.string(),
      folds: z.array(
        z.object({
          actuals: z.array(z.number()),
          forecasts: z.record(z.string(), z.object({ mean: z.array(z.number()) })),
        }),
      ),
    }),
  ),
  aggregate: z.object({ target: z.object({ lanes: z.array(z.string()) }) }),
});

describe('dockside forecast backtest', () => {
  it('prints the JSON document with --json, and names bad input with exit 2', async () => {
    const models = '--models=seasonal-naive,moving-average,weekly-profile';
    const ok = spawnCli(
      ['forecast', 'backtest', '--series', good, '--horizon', '7', '--folds', '2', models, '--json'],
      {},
    );
    const noColumn = spawnCli(['forecast', 'backtest', '--series', missing], {});
    const zero = spawnCli(['forecast', 'backtest', '--series', good, '--horizon', '0'], {});
    const lane = spawnCli(['forecast', 'backtest', '--series', good, '--lanes', 'X>Y', models], {});
    expect(await ok.exited).toBe(0);
    const doc = report.parse(JSON.parse(ok.stdout()));
    expect(doc.params).toEqual({ horizon: 7, folds: 2 });
    expect(doc.data.origins).toEqual([formatDay(start + 70), formatDay(start + 77)]);
    expect(doc.lanes.map((l) => l.lane)).toEqual(['A>B', 'C>D']);
    expect(doc.lanes[0]?.folds[0]?.forecasts['seasonal-naive']?.mean).toEqual(
      doc.lanes[0]?.folds[0]?.actuals,
    );
    expect(ok.stderr()).toBe('');

    expect(await noColumn.exited).toBe(2);
    expect(noColumn.stderr()).toMatch(
      /^dockside: .*missing\.csv: missing column volume \(header is lane,date\)/,
    );
    expect(await zero.exited).toBe(2);
    expect(zero.stderr()).toBe('dockside: horizon: got 0, expected an integer 1..365\n');
    expect(await lane.exited).toBe(2);
    expect(lane.stderr()).toMatch(
      /^dockside: lane: got "X>Y", expected a lane in the series \(2 lanes, e\.g\. A>B, C>D\)/,
    );
  }, 60_000);
});
