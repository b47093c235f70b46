import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockside } from '../../app/runtime.ts';
import { createLogger, loadConfig } from '../../core/mod.ts';
import { tempDir, uniquePrefix } from '../helpers/env.ts';
import { freePort } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * A start-up that fails late (the HTTP port is taken, the last step) closes what the earlier steps
 * opened: its own nats-server (with monitoring, so its connections can be counted) shows no client left,
 * and a second start on the same embedded ClickHouse directory works (chDB locks it per process).
 */
const data = tempDir('startfail');
const store = tempDir('startfail-nats');
const prefix = uniquePrefix('startfail');
let nats: ChildProcess;
let monitor: number;
let natsPort: number;
let blocker: Server;
let takenPort: number;

const connections = async () => {
  const res = await fetch(`http://127.0.0.1:${monitor}/connz`);
  return ((await res.json()) as { num_connections: number }).num_connections;
};

beforeAll(async () => {
  natsPort = await freePort();
  monitor = await freePort();
  nats = spawn(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', `${natsPort}`, '-m', `${monitor}`, '-sd', store.dir],
    {
      stdio: 'ignore',
    },
  );
  await waitFor('nats-server monitoring', async () => ((await connections()) === 0 ? true : undefined));
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  takenPort = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => blocker?.close(resolve));
  nats?.kill('SIGTERM');
  data.remove();
  store.remove();
});

const configFor = (port: number) =>
  loadConfig(
    {},
    {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: data.dir,
      DOCKSIDE_FORECAST_INTERVAL_MS: '0',
      DOCKSIDE_JWT_SECRET: 'a-test-secret-that-is-long-enough-for-hs256-0123456789',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'silent',
    },
  );

describe('startDockside when a late step fails', () => {
  it('closes what it opened and rethrows, so the same data directory starts again', async () => {
    const config = configFor(takenPort);
    const logger = createLogger(config);
    await expect(startDockside(config, { logger })).rejects.toThrow(/EADDRINUSE|address already in use/);
    expect(await connections()).toBe(0);

    const again = await startDockside(configFor(0), { logger });
    try {
      expect(again.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await connections()).toBe(1);
    } finally {
      await again.stop();
    }
  });
});
