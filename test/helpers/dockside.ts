import { connect } from '@nats-io/transport-node';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Dockside, startDockside } from '../../app/runtime.ts';
import { createLogger, deleteStreams, loadConfig, type RawEnv, streamNames } from '../../core/mod.ts';
import { type TestAuth, testAuth } from './auth.ts';
import { tempDir, uniquePrefix } from './env.ts';

export interface TestDockside {
  readonly dockside: Dockside;
  readonly prefix: string;
  /** The HS256 secret the server trusts (DOCKSIDE_JWT_SECRET), to sign test tokens. */
  readonly auth: TestAuth;
  /** `{ authorization: 'Bearer …' }` for a user with this one role. */
  headers(role?: string): { authorization: string };
  /** `dockside.server.inject()` as a user with this one role (default admin). */
  inject(opts: InjectOptions, role?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * A whole Dockside on the real nats-server (unique prefix) and a fresh embedded ClickHouse (temp dir),
 * not listening: tests call `dockside.server.inject()` with `headers()`. Authentication is on with a random
 * DOCKSIDE_JWT_SECRET unless the overrides configure keys themselves. `close` stops it and deletes its streams.
 */
export async function startTestDockside(tag: string, overrides: Partial<RawEnv> = {}): Promise<TestDockside> {
  const prefix = uniquePrefix(tag);
  const data = tempDir(tag);
  const auth = testAuth();
  const ownKeys =
    overrides.DOCKSIDE_JWT_SECRET ?? overrides.DOCKSIDE_JWT_PUBLIC_KEY ?? overrides.DOCKSIDE_JWT_JWKS_FILE;
  const config = loadConfig(
    {},
    {
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: data.dir,
      LOG_LEVEL: 'warn',
      DOCKSIDE_FLUSH_INTERVAL_MS: '50',
      DOCKSIDE_FORECAST_INTERVAL_MS: '0',
      ...(ownKeys ? {} : { DOCKSIDE_JWT_SECRET: auth.secret }),
      ...overrides,
    },
  );
  const logger = createLogger(config);
  const dockside = await startDockside(config, { logger, listen: false });
  return {
    dockside,
    prefix,
    auth,
    headers: (role = 'admin') => auth.headersFor(role),
    inject: (opts, role = 'admin') =>
      dockside.server.inject({ ...opts, headers: { ...opts.headers, ...auth.headersFor(role) } }),
    async close() {
      await dockside.stop();
      await removeStreams(prefix, config.natsUrl);
      data.remove();
    },
  };
}

export async function removeStreams(prefix: string, natsUrl = 'nats://127.0.0.1:4222'): Promise<void> {
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    await deleteStreams(nc, streamNames(prefix));
  } finally {
    await nc.close();
  }
}
