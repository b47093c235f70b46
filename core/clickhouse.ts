import { mkdirSync } from 'node:fs';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from './config.ts';
import { dataDirHolder } from './data-dir-lock.ts';
import { DataDirInUseError, RetryableError } from './errors.ts';

export type { ClickHouseClient } from '@clickhouse/client';

export interface Store {
  readonly client: ClickHouseClient;
  /** Fully qualified table name in the configured database. */
  readonly table: (name: string) => string;
  readonly describe: string;
  close(): Promise<void>;
}

/**
 * One @clickhouse/client for both modes: embedded chDB (a data directory per process) by default,
 * a ClickHouse server or cluster when CLICKHOUSE_URL is set. Fails fast, naming the target, when unreachable.
 */
export async function openStore(config: Pick<Config, 'clickhouse'>): Promise<Store> {
  const ch = config.clickhouse;
  let client: ClickHouseClient;
  let describe: string;
  if (ch.mode === 'embedded') {
    mkdirSync(ch.path, { recursive: true });
    describe = `embedded chDB at ${ch.path}`;
    // Another process holding the directory (a running `up`): one line saying what to do, not chDB's trace.
    const holder = dataDirHolder(ch.path);
    if (holder) throw new DataDirInUseError(ch.path, holder);
    // Loaded on first use: the addon is large, and a worker thread that loaded it crashes at exit.
    const { createChdbConnection } = await import('chdb/connection');
    let connection: unknown;
    try {
      connection = createChdbConnection({ path: ch.path });
    } catch (cause) {
      const late = dataDirHolder(ch.path);
      if (late) throw new DataDirInUseError(ch.path, late, { cause });
      throw cause;
    }
    // chDB implements the client's Connection interface; the option is not in the public typings.
    // It applies a query's settings as `SET` on its one session, so they outlive the query: a batch's
    // insert_deduplication_token would then stick to every later insert, and a second token-less insert
    // into the same table would be dropped as a duplicate. Every query states the token (empty: none).
    client = createClient({
      ...({ connection } as object),
      clickhouse_settings: EMBEDDED_SESSION_RESET,
    });
  } else {
    describe = `ClickHouse at ${ch.url}`;
    client = createClient({
      url: ch.url,
      request_timeout: 30_000,
      ...(ch.username ? { username: ch.username } : {}),
      ...(ch.password ? { password: ch.password } : {}),
      // On a cluster an insert into a Distributed table returns once every shard stored it (an ack then
      // means stored), and the shards see the insert's deduplication token.
      clickhouse_settings: {
        async_insert: 0,
        ...(ch.cluster ? { insert_distributed_sync: 1 as const } : {}),
      },
    });
  }
  const ping = await client.ping();
  if (!ping.success) {
    await client.close().catch(() => undefined);
    throw new RetryableError('CLICKHOUSE_UNREACHABLE', `cannot reach ${describe}: ${ping.error.message}`, {
      cause: ping.error,
    });
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${ch.database}` });
  return {
    client,
    describe,
    table: (name) => `${ch.database}.${name}`,
    close: () => client.close(),
  };
}

/** Settings every embedded query restates, so a setting one query made never applies to the next. */
export const EMBEDDED_SESSION_RESET = { insert_deduplication_token: '' } as const;

export async function queryRows<T>(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** ClickHouse DateTime64 text ('2026-01-02 03:04:05.678') from epoch ms, in UTC. */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Epoch ms from ClickHouse DateTime64 text in UTC. */
export function fromChTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}
