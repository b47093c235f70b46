import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, migrate, openStore } from '../../core/mod.ts';
import { formatDay } from '../../forecasting/days.ts';
import { forecastingMigrations } from '../../forecasting/mod.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/env.ts';
import { SHOW_ORIGIN as ORIGIN, writeShowRun } from './support/show-run.ts';

/**
 * `dockside forecast show LANE` as a real process on an embedded store holding a forecast with known
 * bands: the chart's rows, the table, the CSV, and bad input named with exit 2.
 */
const data = tempDir('forecast-show');

beforeAll(async () => {
  const store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  try {
    await migrate(store, 'dockside', forecastingMigrations);
    await writeShowRun(store, 'run-show');
  } finally {
    // The CLI opens the same data directory: this process must let go of it first.
    await store.close();
  }
}, 60_000);

afterAll(() => data.remove());

async function show(...args: string[]) {
  const p = spawnCli(['forecast', 'show', ...args], { DOCKSIDE_DATA_DIR: data.dir, LOG_LEVEL: 'warn' });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('dockside forecast show', () => {
  it('prints the chart and the table of the next days, within 80 columns', async () => {
    const r = await show('SP>RJ', '--days', '2');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('SP>RJ (all warehouses) · committed per day · model ensemble');
    // Scale 0..50 over 49 cells (two days shown: the third day's 55 is not on it).
    expect(lines).toContain(`2024-04-08 Mon  ${' '.repeat(10)}----=====*=====-----`);
    expect(lines).toContain(`2024-04-09 Tue  ${' '.repeat(19)}-----=====*=====----`);
    expect(lines).toContain(`${' '.repeat(16)}* forecast   = 80 % band   - 95 % band`);
    const table = lines.filter((l) => /^\d{4}-\d{2}-\d{2} {2}/.test(l)).map((l) => l.split(/\s+/));
    expect(table).toEqual([
      ['2024-04-08', 'Mon', '20.0', '10.0', '15.0', '25.0', '30.0'],
      ['2024-04-09', 'Tue', '30.0', '20.0', '25.0', '35.0', '40.0'],
    ]);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
  }, 60_000);

  it('writes CSV for spreadsheets with --csv, and says when the stored forecast is shorter', async () => {
    const csv = await show('SP>RJ', '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')).toEqual([
      'lane,warehouse,date,mean,lower_80,upper_80,lower_95,upper_95,model,run_id',
      `SP>RJ,,${formatDay(ORIGIN)},20,15,25,10,30,ensemble,run-show`,
      `SP>RJ,,${formatDay(ORIGIN + 1)},30,25,35,20,40,ensemble,run-show`,
      `SP>RJ,,${formatDay(ORIGIN + 2)},45,40,50,35,55,ensemble,run-show`,
      '',
    ]);
    const text = await show('SP>RJ');
    expect(text.stdout).toContain('(the stored forecast covers 3 days, not 14)');
  }, 60_000);

  it('names an unknown lane and a bad --days, exit 2', async () => {
    const unknown = await show('XX>YY');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/lane: got "XX>YY", expected a lane with a stored committed forecast/);
    const days = await show('SP>RJ', '--days', '0');
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/days: got 0, expected an integer 1\.\.365/);
  }, 60_000);
});
