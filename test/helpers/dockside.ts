import { connect } from '@nats-io/transport-node';
import { type Dockside, startDockside } from '../../app/runtime.ts';
import {
  createLogger,
  deleteStreams,
  loadConfig,
  loadPolicy,
  type RawEnv,
  streamNames,
} from '../../core/mod.ts';
import { tempDir, uniquePrefix } from './env.ts';

export interface TestDockside {
  readonly dockside: Dockside;
  readonly prefix: string;
  close(): Promise<void>;
}

/**
 * A whole Dockside on the real nats-server (unique prefix) and a fresh embedded ClickHouse (temp dir),
 * not listening: tests call `dockside.server.inject()`. `close` stops it and deletes its streams.
 */
export async function startTestDockside(tag: string, overrides: Partial<RawEnv> = {}): Promise<TestDockside> {
  const prefix = uniquePrefix(tag);
  const data = tempDir(tag);
  const config = loadConfig(
    {},
    {
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: data.dir,
      LOG_LEVEL: 'warn',
      DOCKSIDE_FLUSH_INTERVAL_MS: '50',
      DOCKSIDE_FORECAST_INTERVAL_MS: '0',
      ...overrides,
    },
  );
  const logger = createLogger(config);
  const dockside = await startDockside(config, {
    logger,
    policy: loadPolicy(config.policyFile),
    listen: false,
  });
  return {
    dockside,
    prefix,
    async close() {
      await dockside.stop();
      await removeStreams(prefix, config.natsUrl);
      data.remove();
    },
  };
}

export async function removeStreams(prefix: string, natsUrl = 'nats://127.0.0.1:4222'): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    await deleteStreams(nc, streamNames(prefix));
  } finally {
    await nc.close();
  }
}
