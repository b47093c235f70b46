import { hostname } from 'node:os';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { quantile } from 'simple-statistics';
import {
  type AccessPolicy,
  type Config,
  type DeadLetters,
  type DetectedException,
  type JetStreamPublisher,
  type Logger,
  partitionOf,
  type Running,
  type Store,
  type StreamNames,
} from '../core/mod.ts';
import { approvalNotices } from './approvals/notices.ts';
import { ApprovalService } from './approvals/service.ts';
import { ApprovalStore } from './approvals/store.ts';
import { registerAuditRoutes } from './audit/http.ts';
import { AuditLog } from './audit/log.ts';
import { applyRetention } from './audit/migrations.ts';
import { auditNames, chainFor } from './audit/names.ts';
import { ensureAuditStream, retainDaysOf } from './audit/resources.ts';
import { startAuditSink } from './audit/sink.ts';
import { lastLoggedHead } from './audit/verify.ts';
import { CustomerDirectory, loadCustomersFile } from './directory/directory.ts';
import { registerCustomerRoutes } from './directory/http.ts';
import { UserDirectory } from './directory/users.ts';
import { registerApprovalRoutes } from './http/approvals.ts';
import { registerPolicyRoutes } from './http/policy.ts';
import { registerTriggerRoute } from './http/trigger.ts';
import { registerWritebackRoutes } from './http/writebacks.ts';
import { createWritebackMetrics, type WritebackMetrics } from './metrics.ts';
import { type IncidentFolding, type IncidentLookup, incidentNoticeSchema } from './notify/incident-fold.ts';
import { enqueue } from './pipeline/commands.ts';
import { DeciderTask } from './pipeline/decider.ts';
import { startDispatcher } from './pipeline/dispatcher.ts';
import { buildDraft } from './pipeline/drafts.ts';
import { draftRecordSchema, effectSchema } from './pipeline/effects.ts';
import { evidenceFromStore } from './pipeline/evidence.ts';
import { IndexedKv } from './pipeline/indexed-kv.ts';
import { JsonKv } from './pipeline/json-kv.ts';
import { writebackNames } from './pipeline/names.ts';
import { startOutbox } from './pipeline/outbox.ts';
import type { ActivityLog, PolicySource } from './pipeline/ports.ts';
import { shadowMessage, startShadowSink } from './pipeline/shadow-sink.ts';
import { WritebackWorker } from './pipeline/worker.ts';
import { type WriteState, writeStateSchema } from './pipeline/write-state.ts';
import type { PolicyHolder } from './policy/holder.ts';
import { ensureWritebackResources } from './resources.ts';
import { observePolicy, startCrmDirectorySync, writeFailedNotice } from './runtime-support.ts';
import { startTargets } from './targets.ts';

export interface WritebackDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Every publish (outbox, shadow differences) goes through the connection's publisher. */
  readonly publisher: JetStreamPublisher;
  readonly deadLetters: DeadLetters;
  readonly names: StreamNames;
  readonly config: Config;
  readonly store: Store;
  readonly policy: PolicyHolder;
  /** A candidate policy run beside the active one (DOCKSIDE_SHADOW_POLICY). */
  readonly shadow?: PolicyHolder;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly getException: (id: string) => Promise<DetectedException | undefined>;
  /** Roles → permissions under the policy in force (the server's choke point uses the same). */
  readonly access: () => AccessPolicy;
  /** false: the partitioned deciders wait for `startPartitions()` (a benchmark times the consumer alone). */
  readonly startPartitions?: boolean;
  /** Demo: with no CRM configured, write to the sandbox CRM (NATS KV) instead of holding writes. */
  readonly sandboxCrm?: boolean;
  readonly workerId?: string;
  /** Which open incident an exception belongs to: notices are then sent per incident, not per member. */
  readonly incidents?: IncidentLookup;
}

export interface Writeback {
  /** The policy in force now (hot-reloaded). */
  readonly policy: PolicySource;
  readonly approvals: ApprovalStore;
  readonly service: ApprovalService;
  readonly writes: IndexedKv<WriteState>;
  readonly directory: CustomerDirectory;
  readonly users: UserDirectory;
  readonly audit: AuditLog;
  readonly metrics: WritebackMetrics;
  readonly worker: WritebackWorker;
  /** Takes partition leases and starts deciding (done by startWriteback unless asked not to). */
  startPartitions(): Promise<void>;
  /** Long-running parts; one ending on its own is a failure of the process. */
  readonly components: readonly Running[];
  readonly routes: (app: FastifyInstance) => void;
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The write-back stage in one process: partitioned deciders (decision → log), dispatchers (log →
 * approvals, drafts, outbox), the outbox executor (outbox → CRM, Jira, mail, Slack), the approval
 * sweeper, the decision-log and shadow sinks, and the HTTP routes.
 */
export async function startWriteback(deps: WritebackDeps): Promise<Writeback> {
  const { js, jsm, names, config, store, logger, publisher, deadLetters } = deps;
  const wb = config.writeback;
  const log = logger.child({ mod: 'writeback' });
  const now = () => Date.now();
  const policy: PolicySource = () => deps.policy.current();
  const metrics = createWritebackMetrics(deps.registry);
  const wbNames = writebackNames(config.prefix, names);
  const aNames = auditNames(config.prefix);
  const buckets = await ensureWritebackResources(js, jsm, wbNames, config.prefix, config);
  const retainDays = retainDaysOf(policy().policy);
  await ensureAuditStream(jsm, aNames, config, retainDays);
  await applyRetention(store, config.clickhouse, retainDays);

  const audit = new AuditLog({
    publisher,
    jsm,
    names: aNames,
    logger: log,
    // A chain whose blocks all aged out of the stream continues from its last row in ClickHouse.
    recoverHead: (chain) => lastLoggedHead(store, config.clickhouse.database, chain),
  });
  const activity: ActivityLog = {
    async record(input) {
      await audit.activity(
        input.exceptionId ? partitionOf(input.exceptionId, config.partitions) : undefined,
        input,
      );
    },
  };

  const directory = await CustomerDirectory.open(store, config.clickhouse.database, { logger: log });
  if (wb.customersFile) {
    const parsed = await loadCustomersFile(wb.customersFile);
    for (const w of parsed.warnings)
      log.warn({ line: w.line, field: w.field }, `customers file: ${w.message}`);
    await directory.import(parsed.entries, parsed.source);
  }
  const { users, warnings } = await UserDirectory.fromFile(wb.usersFile);
  for (const w of warnings) log.warn({ line: w.line, field: w.field }, `users file: ${w.message}`);
  const targets = startTargets({
    config: wb,
    policy: () => policy().policy,
    sandbox: deps.sandboxCrm ? buckets.sandbox : undefined,
    metrics,
    logger: log,
  });

  const crmSync = wb.customersFromCrm
    ? startCrmDirectorySync({
        crm: () => targets.ports.crm,
        directory,
        users,
        soql: wb.customersSoql,
        logger: log,
      })
    : undefined;
  const approvals = await new ApprovalStore(buckets.approvals).start();
  const writes = await new IndexedKv(
    buckets.writes,
    writeStateSchema,
    'write',
    (w) => w.id,
    (w) => w.updatedAt,
  ).start();
  const effects = new JsonKv(buckets.effects, effectSchema, 'effect');
  const drafts = new JsonKv(buckets.drafts, draftRecordSchema, 'draft');
  const incidentFolding: IncidentFolding | undefined = deps.incidents && {
    incidents: deps.incidents,
    sent: new JsonKv(buckets.incidentNotices, incidentNoticeSchema, 'incident notice'),
    publicUrl: wb.publicUrl,
    now,
  };
  const service = new ApprovalService({
    store: approvals,
    publisher,
    names: wbNames,
    drafts,
    directory,
    log: activity,
    notices: approvalNotices({ users, publicUrl: wb.publicUrl, escalationRole: wb.escalationRole }),
    metrics,
    logger: log,
    escalationRole: wb.escalationRole,
    now,
  });

  const evidence = evidenceFromStore(store);
  const worker = new WritebackWorker({
    leases: buckets.leases,
    workerId: (deps.workerId ?? `${hostname()}-${process.pid}`).replace(/[^A-Za-z0-9_-]/g, '_'),
    partitions: config.partitions,
    leaseTtlMs: config.leaseTtlMs,
    logger: log,
    startPartition: async (p) => {
      const appender = audit.exclusive(chainFor('dec', p));
      const decider = new DeciderTask(p, {
        js,
        names,
        deadLetters,
        chain: {
          cursor: async () => (await appender.head({ refresh: true })).cursor ?? 0,
          append: async (entries, cursor) => {
            if (entries.length > 0) await appender.append(entries, { cursor });
          },
        },
        policy,
        shadow: deps.shadow ? () => deps.shadow?.current() ?? policy() : undefined,
        directory,
        publishShadow: async (diffs, partition) => {
          const m = shadowMessage(diffs);
          await publisher.publish(aNames.shadowSubject(partition), m.data, { msgID: m.msgID });
        },
        metrics,
        logger: log,
      }).start();
      // The worker watches `done` only once both tasks are up: until then a failing decider must not be an
      // unhandled rejection (it would end the process), and a dispatcher that cannot start stops it.
      decider.done.catch(() => undefined);
      const dispatcher = await startDispatcher(p, {
        js,
        jsm,
        publisher,
        deadLetters,
        config,
        names: wbNames,
        auditStream: aNames.stream,
        decisionSubject: (q) => aNames.chainSubject(chainFor('dec', q)),
        approvals: service,
        drafts,
        directory,
        evidence,
        buildDraft,
        log: activity,
        policy,
        logger: log,
        now,
      }).catch(async (err: unknown) => {
        await decider.stop().catch(() => undefined);
        throw err;
      });
      return { decider, dispatcher };
    },
  });
  // Partitions start last, once every part they feed (outbox, sinks, routes) is up; a bench starts them itself.
  const startPartitions = () => worker.start().then(() => undefined);

  const latencies: number[] = [];
  const outbox = await startOutbox({
    js,
    jsm,
    deadLetters,
    config,
    names: wbNames,
    targets: targets.ports,
    directory,
    users,
    drafts,
    ...(incidentFolding ? { incidentFolding } : {}),
    writes: writes.kv,
    effects,
    breakers: targets.breaker,
    log: activity,
    policy,
    metrics,
    logger: log,
    maxAttempts: wb.maxAttempts,
    backoffMaxMs: wb.backoffMaxMs,
    ackWaitMs: wb.outboxAckWaitMs,
    now,
    onWriteFailed: async (state) => {
      const cmd = writeFailedNotice(state, {
        directory,
        users,
        publicUrl: wb.publicUrl,
        escalationRole: wb.escalationRole,
        policy,
      });
      if (cmd) await enqueue(publisher, wbNames, cmd);
    },
    onNotified: (cmd, ms) => {
      metrics.notificationLatency.observe({ about: cmd.about }, ms / 1000);
      // The SLO (notification_latency_minutes_p95) is about telling the people who must act on an exception.
      if (cmd.about !== 'approval_needed') return;
      latencies.push(ms);
      if (latencies.length > 1_000) latencies.splice(0, latencies.length - 1_000);
      metrics.notificationLatencyP95.set(quantile(latencies, 0.95) / 1000);
    },
    onWriteApplied: (state) => {
      const approvedAt = state.approvalId ? approvals.cached(state.approvalId)?.updatedAt : undefined;
      if (approvedAt) metrics.approvalToWrite.observe(Math.max(0, now() - Date.parse(approvedAt)) / 1000);
      writes.remember(state);
    },
  });

  const auditSink = await startAuditSink({ js, jsm, store, names: aNames, config, logger: log, deadLetters });
  const shadowSink = await startShadowSink({
    js,
    jsm,
    deadLetters,
    config,
    store,
    stream: aNames.stream,
    filter: `${config.prefix}.wbshadow.>`,
    durable: names.consumer('wb_shadow_sink'),
    logger: log,
    batch: { maxRows: config.flushRows, intervalMs: config.flushIntervalMs },
  });
  if (deps.startPartitions !== false) await startPartitions();
  const unobserve = observePolicy({ holder: deps.policy, metrics, activity, store, config, logger: log });
  const sweeper = setInterval(() => {
    service.sweep().catch((err: unknown) => log.warn({ err }, 'approval sweep failed'));
  }, wb.sweepIntervalMs);
  log.info(
    {
      customers: directory.size,
      users: users.size,
      targets: targets.notes,
      shadow: deps.shadow?.current().version ?? null,
      policy: policy().version,
    },
    'write-back ready',
  );

  return {
    policy,
    approvals,
    service,
    writes,
    directory,
    users,
    audit,
    metrics,
    worker,
    startPartitions,
    components: [worker, outbox, auditSink, shadowSink],
    routes: (app) => {
      registerApprovalRoutes(app, {
        store: approvals,
        service,
        drafts,
        access: deps.access,
        escalationRole: wb.escalationRole,
        now,
        crm: () => targets.ports.crm,
        writes,
        policy,
        logger: log,
      });
      registerWritebackRoutes(app, {
        writes,
        rollback: {
          writes: writes.kv,
          crm: targets.ports.crm,
          breaker: targets.breaker(targets.ports.crm?.target ?? 'crm'),
          log: activity,
          policy,
          now,
        },
        directory,
        access: deps.access,
        publisher,
        names: wbNames,
        log: activity,
        now,
      });
      registerTriggerRoute(app, {
        getException: deps.getException,
        approvals: service,
        directory,
        policy,
        log: activity,
      });
      registerCustomerRoutes(app, { directory, users, actorOf: (req) => req.principal.userId });
      registerAuditRoutes(app, { store, database: config.clickhouse.database });
      registerPolicyRoutes(app, { holder: deps.policy, shadow: deps.shadow, store });
    },
    sweep: () => service.sweep(),
    async stop() {
      clearInterval(sweeper);
      crmSync?.stop();
      unobserve();
      await worker.stop();
      await outbox.stop();
      await auditSink.stop();
      await shadowSink.stop();
      approvals.stop();
      writes.stop();
      directory.stop();
      await targets.close();
    },
  };
}
