import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  ack,
  type ConsumeDeps,
  consumeDurable,
  ensureDurable,
  type Logger,
  type Outcome,
  partitionOf,
  type Running,
} from '../../core/mod.ts';
import { CircuitOpenError } from '../delivery/breaker.ts';
import { backoffMs } from '../delivery/retry.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';
import type { WritebackMetrics } from '../metrics.ts';
import { type Command, commandSchema } from './commands.ts';
import { type Breaker, type CrmWriteDeps, executeCrmWrite } from './crm-write.ts';
import {
  type EffectDeps,
  type EffectRun,
  runCustomerUpdate,
  runJira,
  runNotify,
  runTask,
} from './effect-handlers.ts';
import type { Effect } from './effects.ts';
import type { JsonKv } from './json-kv.ts';
import type { WritebackNames } from './names.ts';
import type { ActivityLog, PolicySource } from './ports.ts';
import type { WriteState } from './write-state.ts';

export interface OutboxDeps extends EffectDeps, ConsumeDeps {
  readonly jsm: JetStreamManager;
  readonly names: WritebackNames;
  readonly writes: JsonKv<WriteState>;
  readonly effects: JsonKv<Effect>;
  readonly breakers: (target: string) => Breaker;
  readonly log: ActivityLog;
  readonly policy: PolicySource;
  readonly metrics: WritebackMetrics;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly backoffMaxMs: number;
  /** Redelivery after this long unacknowledged (a crashed process's command); heartbeats extend it. */
  readonly ackWaitMs: number;
  readonly now: () => number;
  /** A write ended failed (dead-lettered): tell someone. */
  readonly onWriteFailed?: (state: WriteState) => Promise<void>;
  /** A notification was accepted: latency from detection, in ms. */
  readonly onNotified?: (cmd: Extract<Command, { kind: 'notify' }>, latencyMs: number) => void;
  readonly onWriteApplied?: (state: WriteState) => void;
}

const BASE_BACKOFF_MS = 500;

/**
 * The outbox executor: a durable consumer of the outbox stream, shared by every process. Each command runs
 * once (write-state protocol for field writes, done-marks for the rest); transient failures are retried with
 * jittered back-off (Retry-After honoured) up to the attempt limit, then end as a failed write-back with their
 * attempt history; permanent rejections fail at once.
 */
export async function startOutbox(deps: OutboxDeps): Promise<Running> {
  await ensureDurable(deps.jsm, deps.names.outboxStream, deps.names.outboxConsumer, {
    ackWaitMs: deps.ackWaitMs,
    maxAckPending: 256,
  });
  return consumeDurable(deps, deps.names.outboxStream, deps.names.outboxConsumer, (msg) => handle(msg, deps));
}

async function handle(msg: JsMsg, deps: OutboxDeps): Promise<Outcome> {
  const parsed = commandSchema.safeParse(msg.json());
  if (!parsed.success)
    return {
      kind: 'term',
      code: 'OUTBOX_COMMAND_INVALID',
      reason: `not an outbox command: ${parsed.error.message}`,
    };
  const cmd = parsed.data;
  const heartbeat = setInterval(() => msg.working(), Math.max(300, deps.ackWaitMs / 3));
  try {
    if (cmd.kind === 'crm_write') return await handleWrite(cmd, msg, deps);
    return await handleEffect(cmd, msg, deps);
  } finally {
    clearInterval(heartbeat);
  }
}

function retryDelay(deps: OutboxDeps, attempt: number, err: TargetUnavailableError): number {
  return backoffMs(attempt, {
    baseMs: BASE_BACKOFF_MS,
    maxMs: deps.backoffMaxMs,
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    random: Math.random,
  });
}

async function handleWrite(
  cmd: Extract<Command, { kind: 'crm_write' }>,
  msg: JsMsg,
  deps: OutboxDeps,
): Promise<Outcome> {
  const writeDeps: CrmWriteDeps = {
    writes: deps.writes,
    crm: deps.targets.crm,
    breaker: deps.breakers(deps.targets.crm?.target ?? 'crm'),
    log: deps.log,
    policy: deps.policy,
    maxAttempts: deps.maxAttempts,
    now: deps.now,
  };
  const r = await executeCrmWrite(cmd, writeDeps);
  deps.metrics.commands.inc({ kind: cmd.kind, result: r.kind === 'done' ? r.state.status : r.kind });
  if (r.kind === 'retry') return { kind: 'nak', delayMs: retryDelay(deps, msg.info.deliveryCount, r.error) };
  if (r.kind === 'failed') {
    await deps.log.record({
      kind: 'write_dead_lettered',
      actor: 'system:outbox',
      reasonCode: r.state.attempts.at(-1)?.code ?? 'failed',
      policyVersion: deps.policy().version,
      exceptionId: cmd.exceptionId,
      customerId: cmd.customerId,
      ref: cmd.id,
      evidence: cmd.evidence,
      details: { failure: r.state.failure ?? null, attempts: r.state.attempts },
    });
    await deps.onWriteFailed?.(r.state);
    return ack;
  }
  if (r.state.status === 'applied') deps.onWriteApplied?.(r.state);
  return ack;
}

const effectKinds: Record<
  Exclude<Command['kind'], 'crm_write'>,
  { target: (d: OutboxDeps) => string; done: string }
> = {
  crm_task: { target: (d) => d.targets.crm?.target ?? 'crm', done: 'task_created' },
  jira: { target: () => 'jira', done: 'jira_opened' },
  notify: { target: () => 'notify', done: 'notification_sent' },
  customer_update: { target: () => 'mail', done: 'customer_update_sent' },
};

async function run(cmd: Exclude<Command, { kind: 'crm_write' }>, deps: OutboxDeps): Promise<EffectRun> {
  switch (cmd.kind) {
    case 'crm_task':
      return runTask(cmd, deps);
    case 'jira':
      return runJira(cmd, deps);
    case 'notify':
      return runNotify(cmd, deps);
    case 'customer_update':
      return runCustomerUpdate(cmd, deps);
  }
}

async function handleEffect(
  cmd: Exclude<Command, { kind: 'crm_write' }>,
  msg: JsMsg,
  deps: OutboxDeps,
): Promise<Outcome> {
  const existing = await deps.effects.get(cmd.id);
  if (existing && existing.value.status !== 'held') return ack;
  const meta = effectKinds[cmd.kind];
  const target = meta.target(deps);
  const attempts = msg.info.deliveryCount;
  const base = {
    actor: 'system:outbox',
    policyVersion: deps.policy().version,
    exceptionId: cmd.exceptionId,
    ref: cmd.id,
    evidence: cmd.evidence,
    ...('customerId' in cmd ? { customerId: cmd.customerId } : {}),
  };
  const mark = (status: Effect['status'], result: Effect['result'], reason?: string) =>
    deps.effects.put(cmd.id, {
      id: cmd.id,
      kind: cmd.kind,
      exceptionId: cmd.exceptionId,
      status,
      result,
      ...(reason ? { reason } : {}),
      attempts,
      at: new Date(deps.now()).toISOString(),
    });
  try {
    const r = await deps.breakers(target).run(() => run(cmd, deps));
    if (r.kind === 'folded') {
      const result = { foldedInto: r.incidentId, firstNotice: r.into };
      await mark('done', result);
      await deps.log.record({
        ...base,
        kind: 'notification_folded',
        reasonCode: 'incident_open',
        details: result,
      });
      deps.metrics.commands.inc({ kind: cmd.kind, result: 'folded' });
      return ack;
    }
    if (r.kind === 'held') {
      await mark('held', {}, r.reason);
      await deps.log.record({ ...base, kind: `${cmd.kind}_held`, reasonCode: r.reason });
      deps.metrics.commands.inc({ kind: cmd.kind, result: 'held' });
      return ack;
    }
    await mark('done', r.result);
    await deps.log.record({ ...base, kind: meta.done, reasonCode: 'done', details: { ...r.result } });
    deps.metrics.commands.inc({ kind: cmd.kind, result: 'done' });
    if (cmd.kind === 'notify') deps.onNotified?.(cmd, deps.now() - Date.parse(cmd.detectedAt));
    return ack;
  } catch (err) {
    // A circuit-open refusal never reached the target: it does not use up the command's attempts.
    if (
      err instanceof TargetUnavailableError &&
      (attempts < deps.maxAttempts || err instanceof CircuitOpenError)
    ) {
      deps.metrics.commands.inc({ kind: cmd.kind, result: 'retry' });
      return { kind: 'nak', delayMs: retryDelay(deps, attempts, err) };
    }
    if (err instanceof TargetUnavailableError || err instanceof TargetRejectedError) {
      await mark('failed', {}, err.message);
      await deps.log.record({
        ...base,
        kind: `${cmd.kind}_failed`,
        reasonCode: err.code,
        details: { error: err.message, attempts },
      });
      deps.metrics.commands.inc({ kind: cmd.kind, result: 'failed' });
      deps.logger.warn({ kind: cmd.kind, id: cmd.id, target, code: err.code }, 'outbox command failed');
      return ack;
    }
    throw err;
  }
}

/** The activity chain of an exception: `act.<partition of the exception id>`. */
export function activityChain(exceptionId: string | undefined, partitions: number): string {
  return exceptionId ? `act.${partitionOf(exceptionId, partitions)}` : 'sys';
}
