import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { type Config, ConfigError, type Logger, streamNames } from '../../core/mod.ts';
import { natsReachable } from '../local-nats.ts';

/**
 * `dockside demo --fresh`: start from an empty data directory. Refuses when a Dockside process seems to be
 * running on it (the embedded ClickHouse's lock file names a live process, or detector workers renewed
 * their presence on the prefix's NATS lease bucket within a lease TTL); otherwise removes the embedded
 * store (`<data>/chdb`), and the prefix's streams, KV buckets and object stores (or, with no NATS
 * reachable, the store of the nats-server the demo starts, `<data>/nats`). The development JWT secret
 * stays: it is a key, not data.
 */
export interface FreshResult {
  readonly removed: readonly string[];
  readonly streamsDeleted: readonly string[];
}

/** The pid in chDB's lock file (`<path>/status`: "PID: 1234"), if the file is there. */
export function lockHolder(chdbPath: string): number | undefined {
  try {
    const m = /^PID:\s*(\d+)/m.exec(readFileSync(path.join(chdbPath, 'status'), 'utf8'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The streams of this prefix and no other: `<P>_…`, `KV_<P>_…`, `OBJ_<P>_…`, except those of a longer prefix
 * that starts the same way (`dockside` must not take `dockside_b`'s), recognised by its own `<X>_EVENTS`.
 */
export function ownStreams(all: readonly string[], prefix: string): string[] {
  const P = streamNames(prefix).streamPrefix;
  const others = all
    .filter((n) => n.endsWith('_EVENTS') && n.startsWith(`${P}_`) && n !== `${P}_EVENTS`)
    .map((n) => n.slice(0, -'_EVENTS'.length));
  const ofPrefix = (n: string, p: string) => [`${p}_`, `KV_${p}_`, `OBJ_${p}_`].some((s) => n.startsWith(s));
  return all.filter((n) => ofPrefix(n, P) && !others.some((o) => ofPrefix(n, o)));
}

async function resetNats(config: Config, logger: Logger): Promise<string[]> {
  const nc = await connect({ servers: [...config.natsServers], name: 'dockside-demo-fresh', timeout: 3_000 });
  try {
    const js = jetstream(nc);
    const names = streamNames(config.prefix);
    const bucket = names.kvBucket('detector_leases');
    try {
      const kv = await new Kvm(js).open(bucket);
      const since = Date.now() - config.leaseTtlMs;
      for await (const key of await kv.keys('w.*')) {
        const entry = await kv.get(key);
        if (entry && entry.operation === 'PUT' && entry.created.getTime() >= since) {
          throw new ConfigError(
            'DOCKSIDE_PREFIX',
            `--fresh refused: a Dockside process is running on the NATS prefix "${config.prefix}" (worker ${key.slice(2)} renewed its lease ${Math.round((Date.now() - entry.created.getTime()) / 1000)} s ago). Stop it first, or give this demo another DOCKSIDE_PREFIX and DOCKSIDE_DATA_DIR.`,
          );
        }
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      // No lease bucket: nothing ever ran on this prefix.
    }
    const jsm = await jetstreamManager(nc);
    const all: string[] = [];
    for await (const info of jsm.streams.list()) all.push(info.config.name);
    const doomed = ownStreams(all, config.prefix);
    for (const name of doomed) await jsm.streams.delete(name);
    logger.info(
      { prefix: config.prefix, streams: doomed.length },
      'demo --fresh: deleted the prefix’s streams',
    );
    return doomed;
  } finally {
    await nc.close();
  }
}

export async function freshStart(config: Config, logger: Logger): Promise<FreshResult> {
  if (config.clickhouse.mode !== 'embedded') {
    throw new ConfigError(
      'CLICKHOUSE_URL',
      `--fresh resets the embedded store only; with CLICKHOUSE_URL set, drop the database ${config.clickhouse.database} yourself, or unset CLICKHOUSE_URL`,
    );
  }
  const chdb = config.clickhouse.path;
  const holder = lockHolder(chdb);
  if (holder !== undefined && holder !== process.pid && alive(holder)) {
    throw new ConfigError(
      'DOCKSIDE_DATA_DIR',
      `--fresh refused: process ${holder} has the data directory ${config.dataDir} open (its embedded ClickHouse); stop that \`dockside up\`/\`demo\` first, or point DOCKSIDE_DATA_DIR elsewhere`,
    );
  }
  const removed: string[] = [];
  let streamsDeleted: string[] = [];
  if (await natsReachable(config.natsUrl)) {
    streamsDeleted = await resetNats(config, logger);
  } else {
    // The demo will start its own nats-server with its store here.
    const natsDir = path.join(config.dataDir, 'nats');
    rmSync(natsDir, { recursive: true, force: true });
    removed.push(natsDir);
  }
  rmSync(chdb, { recursive: true, force: true });
  removed.push(chdb);
  logger.info({ removed }, 'demo --fresh: removed the embedded store');
  return { removed, streamsDeleted };
}
