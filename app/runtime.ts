import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import {
  accessFor,
  BatchWriter,
  type Config,
  connectNats,
  createMetrics,
  createTokenVerifier,
  deadLettersTo,
  ensureStreams,
  type Logger,
  type MetricSampleRow,
  type Metrics,
  migrate,
  openStore,
  publisherFor,
  type Running,
  type Store,
  type StreamNames,
  startMetricSampler,
  streamNames,
} from '../core/mod.ts';
import {
  buildServer,
  type LiveFeed,
  registerKpiRoutes,
  registerOpsRoutes,
  type SigninUser,
  startLiveFeed,
} from '../dashboards/mod.ts';
import {
  getException,
  type IncidentOptions,
  IncidentView,
  incidentOptions,
  LifecycleStore,
  registerExceptionRoutes,
  registerIncidentRoutes,
  startDetectorProcess,
  startDetectorSinks,
  startExceptionSink,
} from '../exceptions/mod.ts';
import {
  checkAccuracyAlert,
  DEFAULT_RUN_OPTIONS,
  registerForecastRoutes,
  registerLiveAccuracyMetrics,
  replyCache,
  startForecastScheduler,
} from '../forecasting/mod.ts';
import {
  EventPublisher,
  registerDeadLetterRoutes,
  registerIngestRoutes,
  registerQualityRoutes,
  scanCoverage,
  startIngestSinks,
  startNatsIngest,
} from '../ingest/mod.ts';
import { PolicyHolder, startWriteback, type Writeback } from '../writeback/mod.ts';
import { moduleMigrations } from './migrations.ts';

const METRIC_SAMPLE_MS = 10_000;
const COVERAGE_REFRESH_MS = 30_000;

export interface Dockside {
  readonly config: Config;
  readonly store: Store;
  readonly nc: NatsConnection;
  readonly names: StreamNames;
  readonly publisher: EventPublisher;
  readonly metrics: Metrics;
  readonly server: FastifyInstance;
  /** The write-back stage (approvals, writes, directory, decision log). */
  readonly writeback: Writeback;
  /** Where the HTTP server listens, once `listen` was asked for. */
  readonly url?: string;
  /** Resolves when a component stopped on its own (a failure): the caller should shut down. */
  readonly failed: Promise<Error>;
  /** Say a forecast run was stored outside the scheduler (the demo's backfill): the planner API shows it at once. */
  forecastsStored(): void;
  /** While `stop()` runs: the part being stopped (what a stop that takes too long is waiting for). */
  readonly stopStage: string | undefined;
  stop(): Promise<void>;
}

type StartDeps = {
  logger: Logger;
  /** The policy in force (hot-reloaded); default: POLICY_FILE, watched every DOCKSIDE_POLICY_RELOAD_MS. */
  policy?: PolicyHolder;
  listen?: boolean;
  demoUsers?: readonly SigninUser[];
  /** Demo: with no CRM configured, write-back writes to the sandbox CRM (NATS KV). */
  sandboxCrm?: boolean;
  /** Demo: incident grouping on its compressed clock (seconds stand for hours); default: the policy's. */
  incidentTimes?: Pick<IncidentOptions, 'burstMs' | 'minMembers' | 'gapMs' | 'maxSpanMs'>;
};

/**
 * The composition root: every part of Dockside in one process (`dockside up`).
 * Start order follows dependencies; stop runs in reverse so nothing in flight is lost:
 * stop taking input → stop consuming → flush inserts → drain NATS → close storage.
 * When a start-up step fails, what the earlier steps opened is closed (in reverse) before the error is
 * rethrown, so a failed start holds no NATS connection, chDB lock, consumer or port.
 */
export async function startDockside(config: Config, deps: StartDeps): Promise<Dockside> {
  const opened: (() => unknown)[] = [];
  try {
    return await assemble(config, deps, opened);
  } catch (err) {
    for (const close of opened.reverse()) {
      try {
        await close();
      } catch (closeErr) {
        deps.logger.warn({ err: closeErr }, 'closing after a failed start-up failed');
      }
    }
    throw err;
  }
}

async function assemble(config: Config, deps: StartDeps, opened: (() => unknown)[]): Promise<Dockside> {
  const { logger } = deps;
  const holder = deps.policy ?? PolicyHolder.fromFile(config.policyFile);
  const shadow = config.writeback.shadowPolicyFile
    ? PolicyHolder.fromFile(config.writeback.shadowPolicyFile)
    : undefined;
  // The detector's thresholds are fixed at start (a replay must give the same exceptions); write-back follows reloads.
  const policy = holder.current().policy;
  const access = accessFor(() => holder.current().policy);
  // Keys are read before anything starts: a bad key file stops start-up with its config key named.
  const verifier = await createTokenVerifier(config.writeback.auth);
  const metrics = createMetrics();
  const store = await openStore(config);
  opened.push(() => store.close());
  await migrate(store, config.clickhouse, moduleMigrations);
  logger.info({ storage: store.describe }, 'storage ready');

  const nc: NatsConnection = await connectNats(config, logger);
  // Closing (not draining) on a failed start: nothing was taken in that must be finished.
  opened.push(() => nc.close());
  const names = streamNames(config.prefix);
  const jsm = await ensureStreams(nc, names, config);
  const js = jetstream(nc);
  const out = publisherFor(nc);
  const deadLetters = deadLettersTo(out, names);
  const publisher = new EventPublisher(out, names, config);
  logger.info({ nats: config.natsUrl, prefix: config.prefix }, 'jetstream ready');

  const sinkDeps = { js, jsm, names, store, config, logger, deadLetters };
  const sinks: Running[] = [];
  opened.push(async () => {
    for (const s of sinks) await s.stop();
  });
  sinks.push(...(await startIngestSinks(sinkDeps)));
  const lifecycle = new LifecycleStore(js, LifecycleStore.bucketName(names), config);
  // Incidents group what the sink stored; fixed at start like the detector's thresholds (replay = live).
  const incidents = new IncidentView({
    store,
    options: { ...incidentOptions(policy), ...deps.incidentTimes },
  });
  sinks.push(
    await startExceptionSink({
      ...sinkDeps,
      onStored: () => incidents.changed(),
      lifecycle,
    }),
  );
  sinks.push(...(await startDetectorSinks(sinkDeps)));
  const detector = await startDetectorProcess({ nc, js, jsm, names, config, policy, logger, metrics });
  opened.push(() => detector.stop());
  const natsIngest = await startNatsIngest({ js, jsm, names, publisher, metrics, logger, config });
  opened.push(() => natsIngest.stop());
  const live: LiveFeed = await startLiveFeed(js, names, logger);
  opened.push(() => live.stop());
  const writeback = await startWriteback({
    js,
    jsm,
    publisher: out,
    deadLetters,
    names,
    config,
    store,
    policy: holder,
    ...(shadow ? { shadow } : {}),
    registry: metrics.registry,
    logger,
    getException: (id) => getException(store, id),
    access,
    ...(deps.sandboxCrm ? { sandboxCrm: true } : {}),
    incidents: {
      incidentOf: async (id) => {
        const i = await incidents.incidentOf(id);
        return i && { id: i.id, title: i.title, status: i.status, members: i.counts.members };
      },
    },
  });
  opened.push(() => writeback.stop());
  holder.watch({ intervalMs: config.writeback.policyReloadMs, logger });
  shadow?.watch({ intervalMs: config.writeback.policyReloadMs, logger });
  opened.push(() => {
    holder.stop();
    shadow?.stop();
  });
  const sampler = startMetricSampler({
    metrics,
    writer: new BatchWriter<MetricSampleRow>(store, store.table('metric_samples'), {
      maxRows: 10_000,
      intervalMs: 1_000,
    }),
    intervalMs: METRIC_SAMPLE_MS,
    logger,
  });
  opened.push(() => sampler.stop());
  // The first run waits a minute so start-up (and a demo) is not competing with model fitting for the CPU.
  // After each run the live forecast accuracy is checked against the policy's forecast_mape threshold.
  const mapeAlert = () =>
    checkAccuracyAlert(store, {
      measure: DEFAULT_RUN_OPTIONS.measure,
      threshold: holder.current().policy.telemetry?.kpis?.find((k) => k.name === 'forecast_mape')
        ?.threshold_alert,
      nowMs: Date.now(),
    }).catch((err: unknown) => logger.warn({ err }, 'forecast accuracy alert check failed'));
  // The planner API's answers change when a run is stored; runs stored elsewhere show within its TTL.
  const plannerCache = replyCache();
  const forecasts = config.forecastIntervalMs
    ? startForecastScheduler({
        store,
        logger,
        intervalMs: config.forecastIntervalMs,
        initialDelayMs: 60_000,
        onRun: () => {
          plannerCache.invalidate();
          void mapeAlert();
        },
      })
    : undefined;
  registerLiveAccuracyMetrics(metrics.registry, { store, logger });
  opened.push(() => forecasts?.stop());
  const coverage = setInterval(() => {
    scanCoverage(store)
      .then((rows) => {
        for (const r of rows) metrics.scanCoverage.set({ warehouse: r.warehouseId }, r.coverage);
      })
      .catch((err: unknown) => logger.warn({ err }, 'scan coverage refresh failed'));
  }, COVERAGE_REFRESH_MS);
  opened.push(() => clearInterval(coverage));

  const server = buildServer({
    logger,
    maxBodyBytes: config.maxBodyBytes,
    http: config.http,
    metrics,
    live,
    metricsText: () => metrics.registry.metrics(),
    auth: {
      enabled: config.writeback.auth.enabled,
      verifier,
      access,
      ...(deps.demoUsers ? { demoUsers: deps.demoUsers } : {}),
    },
    routes: [
      (app) => registerIngestRoutes(app, { publisher, metrics, logger, window: config.http.ingestWindow }),
      (app) => registerDeadLetterRoutes(app, { store, access }),
      (app) =>
        registerQualityRoutes(app, {
          store,
          metrics,
          feeds: config.feeds,
          systems: () => ({
            wms: holder.current().policy.systems?.wms?.event_stream,
            tms: holder.current().policy.systems?.tms?.event_stream,
          }),
        }),
      (app) => registerForecastRoutes(app, { store, logger, capacity: config.capacity, cache: plannerCache }),
      (app) =>
        registerExceptionRoutes(app, {
          store,
          lifecycle,
          publisher: out,
          names,
          partitions: config.partitions,
        }),
      (app) =>
        registerIncidentRoutes(app, {
          view: incidents,
          store,
          lifecycle,
          publisher: out,
          names,
          partitions: config.partitions,
        }),
      writeback.routes,
      (app) => registerKpiRoutes(app, { store, policy: holder }),
      (app) =>
        registerOpsRoutes(app, { nc, jsm, names, store, config, writes: () => writeback.writes.values() }),
    ],
  });
  let url: string | undefined;
  if (deps.listen !== false) {
    await server.listen({ port: config.port, host: config.host });
    const addr = server.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  } else {
    await server.ready();
  }

  let stopping = false;
  let stage: string | undefined;
  const components = [detector, natsIngest, ...sinks, ...writeback.components];
  const failed = Promise.race(
    components.map((c, i) => c.done.then(() => new Error(`component ${i} stopped unexpectedly`))),
  ).then((err) => {
    if (!stopping) logger.error({ err }, 'a pipeline component stopped; shutting down');
    return err;
  });

  return {
    config,
    store,
    nc,
    names,
    publisher,
    metrics,
    server,
    writeback,
    ...(url ? { url } : {}),
    failed,
    forecastsStored: () => plannerCache.invalidate(),
    get stopStage() {
      return stage;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const step = async (name: string, f: () => unknown) => {
        stage = name;
        await f();
      };
      await step('the HTTP server', () => server.close());
      await step('NATS ingest', () => natsIngest.stop());
      await step('the detector', () => detector.stop());
      await step('write-back', () => writeback.stop());
      holder.stop();
      shadow?.stop();
      await step('the live feed', () => live.stop());
      clearInterval(coverage);
      await step('the forecast scheduler', () => forecasts?.stop());
      await step('the metrics sampler', () => sampler.stop());
      for (const s of sinks) await step('the storage sinks', () => s.stop());
      await step('draining NATS', () => nc.drain());
      await step('closing ClickHouse', () => store.close());
      stage = undefined;
    },
  };
}
