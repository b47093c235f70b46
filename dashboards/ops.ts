import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { type Config, fromChTime, type Store, type StreamNames } from '../core/mod.ts';
import { detectorNames } from '../exceptions/mod.ts';
import {
  type ClickHouseFigures,
  type ConsumerFigures,
  clickhouseFigures,
  type DeadLetterGroup,
  deadLetterGroups,
  durableConsumers,
  errorText,
  type ForecastRunFigures,
  type LeaseFigures,
  lastForecastRun,
  leaseFigures,
  type NatsFigures,
  natsFigures,
  within,
} from './ops-probes.ts';
import {
  clickhouseHealth,
  consumerHealth,
  deadLetterHealth,
  forecastHealth,
  type Health,
  natsHealth,
  partitionHealth,
  type Status,
  worst,
  writebackHealth,
} from './ops-status.ts';

/**
 * `GET /api/ops`: the operations page. NATS and ClickHouse health, every durable consumer of this prefix's
 * streams with its lag, dead letters by source and code, detector and write-back partition owners, the last
 * forecast run, the write-back outbox backlog and failed writes — each with a red/amber/green verdict.
 * One failing probe marks its own component and leaves the others readable.
 */
export interface OpsDeps {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly names: StreamNames;
  readonly store: Store;
  readonly config: Config;
  /** Write-back write states (the process's index of KV `writes`), for failed and held counts. */
  readonly writes?: () => readonly { readonly status: string }[];
  readonly now?: () => number;
  /** Per-probe time limit (default 3 s). */
  readonly probeTimeoutMs?: number;
}

type WithHealth<T> = T & Health;

export interface PartitionSet extends LeaseFigures, Health {
  readonly name: 'detector' | 'writeback';
  readonly label: string;
  readonly bucket: string;
  readonly count: number;
  readonly owned: number;
}

export interface OpsAnswer {
  readonly at: string;
  readonly status: Status;
  /** One line per component, in page order: the summary row. */
  readonly components: readonly ({ readonly name: string; readonly label: string } & Health)[];
  readonly nats: WithHealth<NatsFigures>;
  readonly clickhouse: WithHealth<ClickHouseFigures & { readonly mode: string; readonly target: string }>;
  readonly consumers: readonly WithHealth<Omit<ConsumerFigures, 'streamSubjects'>>[];
  readonly consumersHealth: Health;
  readonly deadLetters: WithHealth<{
    readonly total: number;
    readonly last24h: number;
    readonly link: string;
    readonly groups: readonly (DeadLetterGroup & { readonly link: string })[];
  }>;
  readonly partitions: readonly PartitionSet[];
  readonly forecast: WithHealth<{
    readonly lastRun: (ForecastRunFigures & { readonly createdAt: string }) | null;
    readonly intervalMs: number;
  }>;
  readonly writeback: WithHealth<{
    readonly outboxBacklog: number | null;
    readonly failedWrites: number | null;
    readonly heldWrites: number | null;
  }>;
}

const failed = (what: string, err: unknown): Health => ({
  status: 'bad',
  text: `${what}: ${errorText(err)}`,
});

async function partitionSet(
  deps: OpsDeps,
  name: PartitionSet['name'],
  label: string,
  bucket: string,
  timeoutMs: number,
): Promise<PartitionSet> {
  const count = deps.config.partitions;
  try {
    const figures = await within(timeoutMs, `lease bucket ${bucket}`, leaseFigures(deps.nc, bucket, count));
    const owned = figures.owners.filter((o) => o.owner !== null).length;
    return { name, label, bucket, count, owned, ...figures, ...partitionHealth(owned, count) };
  } catch (err) {
    return {
      name,
      label,
      bucket,
      count,
      owned: 0,
      owners: [],
      workers: [],
      ...failed(`lease bucket ${bucket} could not be read`, err),
    };
  }
}

function deadLetterLink(g?: { source: string; code: string }): string {
  return g
    ? `/api/dead-letters?${new URLSearchParams({ source: g.source, code: g.code })}`
    : '/api/dead-letters';
}

/** The whole page's figures, as of now. */
export async function opsReport(deps: OpsDeps): Promise<OpsAnswer> {
  const now = (deps.now ?? Date.now)();
  const timeoutMs = deps.probeTimeoutMs ?? 3_000;
  const { config, names } = deps;
  const [nats, ch, consumers, dead, run, detector, writeback] = await Promise.all([
    natsFigures(deps.nc, timeoutMs),
    clickhouseFigures(deps.store, timeoutMs),
    durableConsumers(deps.jsm, config.prefix, names.streamPrefix).catch((err: unknown) => err as Error),
    deadLetterGroups(deps.store, now).catch((err: unknown) => err as Error),
    lastForecastRun(deps.store).catch((err: unknown) => err as Error),
    partitionSet(deps, 'detector', 'Detector', detectorNames(config.prefix, names).leaseBucket, timeoutMs),
    // writeback/pipeline/names.ts names this bucket (not exported by writeback/mod.ts).
    partitionSet(deps, 'writeback', 'Write-back', names.kvBucket('wb_leases'), timeoutMs),
  ]);

  const consumerRows =
    consumers instanceof Error ? [] : consumers.map((c) => ({ ...c, ...consumerHealth(c) }));
  const consumersHealth: Health =
    consumers instanceof Error
      ? failed('consumers could not be listed', consumers)
      : consumerRows.length === 0
        ? { status: 'warn', text: 'no durable consumer on this prefix' }
        : {
            status: worst(consumerRows.map((c) => c.status)),
            text: `${consumerRows.filter((c) => c.status !== 'ok').length} of ${consumerRows.length} behind`,
          };

  const groups = dead instanceof Error ? [] : dead.map((g) => ({ ...g, link: deadLetterLink(g) }));
  const total = groups.reduce((n, g) => n + g.count, 0);
  const last24h = groups.reduce((n, g) => n + g.last24h, 0);
  const deadLetters = {
    total,
    last24h,
    link: deadLetterLink(),
    groups: groups.map((g) => ({ ...g, lastAt: new Date(fromChTime(g.lastAt)).toISOString() })),
    ...(dead instanceof Error
      ? failed('dead letters could not be read', dead)
      : deadLetterHealth(total, last24h)),
  };

  const lastRun =
    run instanceof Error || run === null
      ? null
      : { ...run, createdAt: new Date(fromChTime(run.createdAt)).toISOString() };
  const forecast = {
    lastRun,
    intervalMs: config.forecastIntervalMs,
    ...(run instanceof Error
      ? failed('forecast runs could not be read', run)
      : forecastHealth(lastRun ? Date.parse(lastRun.createdAt) : null, config.forecastIntervalMs, now)),
  };

  const outbox =
    consumers instanceof Error
      ? []
      : consumerRows.filter((c) => c.streamSubjects.some((s) => s.startsWith(`${config.prefix}.outbox.`)));
  const writes = deps.writes?.();
  const wb = {
    outboxBacklog: outbox.length ? outbox.reduce((n, c) => n + c.pending + c.ackPending, 0) : null,
    failedWrites: writes ? writes.filter((w) => w.status === 'failed').length : null,
    heldWrites: writes ? writes.filter((w) => w.status === 'held').length : null,
  };
  const writebackAnswer = {
    ...wb,
    ...writebackHealth({ backlog: wb.outboxBacklog, failed: wb.failedWrites, held: wb.heldWrites }),
  };

  const natsAnswer = { ...nats, ...natsHealth(nats) };
  const clickhouse = {
    ...ch,
    mode: config.clickhouse.mode,
    target: deps.store.describe,
    ...clickhouseHealth(ch),
  };
  const components = [
    { name: 'nats', label: 'NATS', status: natsAnswer.status, text: natsAnswer.text },
    { name: 'clickhouse', label: 'ClickHouse', status: clickhouse.status, text: clickhouse.text },
    { name: 'consumers', label: 'Consumers', ...consumersHealth },
    { name: 'dead_letters', label: 'Dead letters', status: deadLetters.status, text: deadLetters.text },
    ...[detector, writeback].map((p) => ({
      name: `${p.name}_partitions`,
      label: `${p.label} partitions`,
      status: p.status,
      text: p.text,
    })),
    { name: 'forecast', label: 'Forecasts', status: forecast.status, text: forecast.text },
    { name: 'writeback', label: 'Write-back', status: writebackAnswer.status, text: writebackAnswer.text },
  ];
  return {
    at: new Date(now).toISOString(),
    status: worst(components.map((c) => c.status)),
    components,
    nats: natsAnswer,
    clickhouse,
    consumers: consumerRows,
    consumersHealth,
    deadLetters,
    partitions: [detector, writeback],
    forecast,
    writeback: writebackAnswer,
  };
}

export function registerOpsRoutes(app: FastifyInstance, deps: OpsDeps): void {
  app.get('/api/ops', async () => opsReport(deps));
}
