import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { forecastingMigrations, registerForecastRoutes } from '../../forecasting/mod.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/env.ts';
import { writeShowRun } from './support/show-run.ts';

/**
 * `dockside forecast show --url` beside a running server that holds the embedded store: the CLI goes
 * through the planner API (it never opens the data directory, which this process holds).
 */
const data = tempDir('forecast-show-remote');
let store: Store;
let app: FastifyInstance;
let url = '';

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, 'dockside', forecastingMigrations);
  await writeShowRun(store, 'run-remote');
  app = Fastify();
  registerForecastRoutes(app, { store, logger: createLogger({ logLevel: 'silent' }) });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  data.remove();
});

describe('dockside forecast show --url', () => {
  it('draws the same chart from the running server’s API, and names an unknown lane', async () => {
    const env = { DOCKSIDE_DATA_DIR: data.dir, LOG_LEVEL: 'warn' };
    const p = spawnCli(['forecast', 'show', 'SP>RJ', '--days', '2', '--url', url], env);
    expect(await p.exited, p.stderr()).toBe(0);
    const lines = p.stdout().split('\n');
    expect(lines[0]).toBe('SP>RJ (all warehouses) · committed per day · model ensemble');
    expect(lines).toContain(`2024-04-08 Mon  ${' '.repeat(10)}----=====*=====-----`);
    expect(lines).toContain(`2024-04-09 Tue  ${' '.repeat(19)}-----=====*=====----`);
    // The stored 3 days cover the 2 asked for: no note.
    expect(p.stdout()).not.toContain('stored forecast covers');
    const unknown = spawnCli(['forecast', 'show', 'XX>YY', '--url', url], env);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toMatch(/lane: got "XX>YY", expected a lane with a stored forecast/);
  }, 60_000);
});
