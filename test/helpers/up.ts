import { type AddressInfo, createServer } from 'node:net';
import { type TestAuth, testAuth } from './auth.ts';
import { type RunningCli, spawnCli } from './cli.ts';
import { removeStreams, type TestDockside } from './dockside.ts';
import { tempDir, uniquePrefix } from './env.ts';
import { waitFor } from './wait.ts';

/**
 * `dockside up` as a real process for one test file: its own NATS prefix, data directory and JWT secret,
 * started (and started again, after a stop) with the test's environment on top of those.
 */
export interface TestUp {
  readonly prefix: string;
  /** The HS256 secret the process trusts (DOCKSIDE_JWT_SECRET), to sign test tokens. */
  readonly auth: TestAuth;
  /** The process started last (undefined before the first start). */
  readonly proc: RunningCli | undefined;
  /** Spawns `dockside up` (PORT 0, info logs, no forecast runs, unless `env` says otherwise); resolves with its URL. */
  start(env?: Record<string, string>): Promise<string>;
  /** Sends `signal` to the process started last and resolves with its exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string | undefined>;
  /** Stops the process, deletes its streams and removes its data directory. */
  close(signal?: NodeJS.Signals): Promise<void>;
}

/** A `dockside up` of its own for the test file `tag` (not started yet). */
export function testUp(tag: string): TestUp {
  const prefix = uniquePrefix(tag);
  const data = tempDir(tag);
  const auth = testAuth();
  let proc: RunningCli | undefined;
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    // A process that has exited ignores the signal.
    proc?.child.kill(signal);
    return proc?.exited;
  };
  return {
    prefix,
    auth,
    get proc() {
      return proc;
    },
    async start(env = {}) {
      const p = spawnCli(['up'], {
        DOCKSIDE_PREFIX: prefix,
        DOCKSIDE_DATA_DIR: data.dir,
        DOCKSIDE_JWT_SECRET: auth.secret,
        DOCKSIDE_FORECAST_INTERVAL_MS: '0',
        PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      });
      proc = p;
      return waitFor(
        'dockside up to listen',
        () => {
          if (p.child.exitCode !== null) throw new Error(`dockside up exited: ${p.stderr().slice(-2000)}`);
          return /"url":"(http:\/\/[^"]+)"[^\n]*dockside is up/.exec(p.stderr())?.[1];
        },
        60_000,
      );
    },
    stop,
    async close(signal) {
      await stop(signal);
      await removeStreams(prefix);
      data.remove();
    },
  };
}

/** A TCP port free on 127.0.0.1 just now (for a server that must come back on the same port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

/** Makes an in-process test Dockside listen on a free local port and resolves with its base URL. */
export async function listenLocal(t: TestDockside): Promise<string> {
  await t.dockside.server.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.dockside.server.server.address() as AddressInfo).port}`;
}

/** Sends `method route` to the API at `url` as `token` (JSON body if any): the status and the JSON answer. */
export async function callApi(url: string, token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
