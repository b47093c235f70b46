import type { Config, Logger, Policy, Store } from '../core/mod.ts';
import { toCommand } from './approvals/notices.ts';
import { applyRetention } from './audit/migrations.ts';
import { retainDaysOf } from './audit/resources.ts';
import type { CrmAdapter } from './crm/adapter.ts';
import type { CustomerDirectory } from './directory/directory.ts';
import { loadFromCrm } from './directory/from-crm.ts';
import type { UserDirectory } from './directory/users.ts';
import type { WritebackMetrics } from './metrics.ts';
import { writeFailed } from './notify/messages.ts';
import { notifyTargets, recipientsFor } from './notify/recipients.ts';
import type { CommandOf } from './pipeline/commands.ts';
import type { ActivityLog, Directory, PolicySource, Users } from './pipeline/ports.ts';
import type { WriteState } from './pipeline/write-state.ts';
import type { PolicyHolder } from './policy/holder.ts';

/** The policy's SLO targets and KPI thresholds as gauges, so alerting compares with what the policy says. */
export function exportTargets(policy: Policy, metrics: WritebackMetrics): void {
  metrics.sloTarget.reset();
  metrics.kpiThreshold.reset();
  for (const [name, value] of Object.entries(policy.slo_targets ?? {})) {
    if (typeof value !== 'number') continue;
    // `…_minutes_p95` targets are exported in seconds, like every latency metric.
    const seconds = name.includes('_minutes') ? value * 60 : value;
    metrics.sloTarget.set({ slo: name }, seconds);
  }
  for (const kpi of policy.telemetry?.kpis ?? [])
    metrics.kpiThreshold.set({ kpi: kpi.name }, kpi.threshold_alert);
}

/**
 * Policy lifecycle on the record: the version in force at start and each reload is a `policy_loaded` entry on
 * the `sys` chain, a refused file a `policy_rejected` one; a changed retention is applied to the log table.
 */
export function observePolicy(opts: {
  holder: PolicyHolder;
  metrics: WritebackMetrics;
  activity: ActivityLog;
  store: Store;
  config: Pick<Config, 'clickhouse'>;
  logger: Logger;
}): () => void {
  const { holder, metrics, activity, logger } = opts;
  const loaded = (reason: string) => {
    const a = holder.current();
    exportTargets(a.policy, metrics);
    return activity.record({
      kind: 'policy_loaded',
      actor: 'system:policy',
      reasonCode: reason,
      policyVersion: a.version,
      details: {
        source: a.source,
        name: a.policy.policy_name,
        owner: a.policy.owner ?? null,
        loadedAt: a.loadedAt,
      },
    });
  };
  void loaded('start').catch((err: unknown) => logger.warn({ err }, 'logging the policy version failed'));
  const offChange = holder.onChange((next, prev) => {
    void loaded('reload')
      .then(async () => {
        const days = retainDaysOf(next.policy);
        if (days !== retainDaysOf(prev.policy))
          await applyRetention(opts.store, opts.config.clickhouse, days);
      })
      .catch((err: unknown) => logger.warn({ err }, 'applying the reloaded policy failed'));
  });
  const offRejected = holder.onRejected((error, file) => {
    void activity
      .record({
        kind: 'policy_rejected',
        actor: 'system:policy',
        reasonCode: error.code,
        policyVersion: holder.current().version,
        details: { file, error: error.message },
      })
      .catch((err: unknown) => logger.warn({ err }, 'logging a rejected policy failed'));
  });
  return () => {
    offChange();
    offRejected();
  };
}

const CRM_SYNC_MS = 15 * 60_000;

/**
 * The customer directory read from the CRM's Accounts (SOQL), at start and every 15 minutes; a failed read
 * keeps the directory as it was and says why. Account owners map to Dockside users by their CRM user id.
 */
export function startCrmDirectorySync(opts: {
  crm: () => CrmAdapter | undefined;
  directory: CustomerDirectory;
  users: UserDirectory;
  soql: string | undefined;
  logger: Logger;
}): { stop(): void } {
  const sync = async () => {
    const crm = opts.crm();
    if (!crm) return opts.logger.warn('DOCKSIDE_CUSTOMERS_FROM_CRM=on but no CRM adapter is configured');
    const parsed = await loadFromCrm(crm, {
      ...(opts.soql ? { soql: opts.soql } : {}),
      owners: opts.users.crmOwners(),
    });
    if (parsed.rejects.length > 0) {
      opts.logger.warn(
        { rejected: parsed.rejects.length, first: parsed.rejects[0]?.message },
        'CRM accounts left out of the directory',
      );
    }
    await opts.directory.import(parsed.entries, parsed.source);
  };
  const run = () =>
    void sync().catch((err: unknown) =>
      opts.logger.warn({ err }, 'reading the directory from the CRM failed'),
    );
  run();
  const timer = setInterval(run, CRM_SYNC_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Tell the customer's owner and the escalation role that a write gave up (a write-back dead letter). */
export function writeFailedNotice(
  w: WriteState,
  deps: {
    directory: Directory;
    users: Users;
    publicUrl: string;
    escalationRole: string;
    policy: PolicySource;
  },
): CommandOf<'notify'> | undefined {
  const customer = deps.directory.get(w.customerId);
  if (!customer) return undefined;
  const owner = recipientsFor({ role: 'account_owner' }, customer, deps.users, {
    escalationRole: deps.escalationRole,
  });
  const admins = recipientsFor({ role: deps.escalationRole }, customer, deps.users, {
    escalationRole: deps.escalationRole,
  });
  const targets = notifyTargets({
    reachable: [...owner.reachable, ...admins.reachable],
    unreachable: [...owner.unreachable, ...admins.unreachable],
  });
  const last = w.attempts.at(-1);
  const notice = writeFailed(
    {
      writeId: w.id,
      exceptionId: w.exceptionId,
      exceptionType: w.exceptionId.split(':')[0] ?? 'exception',
      customerId: w.customerId,
      fields: w.fields,
      attempts: w.attempts.length,
      target: w.target,
      error: w.failure ?? last?.error ?? 'unknown',
      ...(w.approvalId ? { approvalId: w.approvalId } : {}),
    },
    { publicUrl: deps.publicUrl },
  );
  return toCommand(
    notice,
    { exceptionId: w.exceptionId, policyVersion: w.policyVersion, evidence: [], detectedAt: w.createdAt },
    targets,
    `nt-${w.id}-g${w.generation}-failed`,
  );
}
