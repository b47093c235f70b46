import type { KV } from '@nats-io/kv';
import type { Logger, Policy, WritebackConfig } from '../core/mod.ts';
import type { CrmAdapter } from './crm/adapter.ts';
import { SalesforceAdapter } from './crm/salesforce.ts';
import { SandboxCrm } from './crm/sandbox.ts';
import { WebhookAdapter } from './crm/webhook.ts';
import { type BreakerState, CircuitBreaker } from './delivery/breaker.ts';
import { JiraClient } from './delivery/jira.ts';
import type { WritebackMetrics } from './metrics.ts';
import { Mailer } from './notify/mailer.ts';
import { SlackNotifier } from './notify/slack.ts';
import type { Targets } from './pipeline/ports.ts';

export interface RunningTargets {
  /** The adapters; `crm` follows the policy in force (systems.crm.system), so a reload can switch it. */
  readonly ports: Targets;
  /** One circuit breaker per target name, shared by everything that calls it. */
  readonly breaker: (target: string) => CircuitBreaker;
  /** What is on and off, for the start-up log (no secrets). */
  readonly notes: readonly string[];
  close(): Promise<void>;
}

/**
 * The external targets from configuration. Each is optional: an unset one is off, said once at start, and
 * commands that need it are held with that reason. The CRM is the one the policy's `systems.crm.system`
 * names (salesforce, webhook, sandbox); with no such key, the configured one (Salesforce first); a demo
 * without a CRM writes to the sandbox CRM in NATS KV.
 */
export function startTargets(opts: {
  config: WritebackConfig;
  policy: () => Policy;
  sandbox: KV | undefined;
  metrics: WritebackMetrics;
  logger: Logger;
}): RunningTargets {
  const { config, metrics } = opts;
  const adapters: Partial<Record<'salesforce' | 'webhook' | 'sandbox', CrmAdapter>> = {};
  if (config.salesforce) {
    // Sforce-Limit-Info on every answer: how much of the org's daily API allowance is used.
    adapters.salesforce = new SalesforceAdapter(config.salesforce, {
      onLimitInfo: (used, max) => metrics.crmApiUsage.set({ target: 'salesforce' }, max > 0 ? used / max : 0),
    });
  }
  if (config.webhook) adapters.webhook = new WebhookAdapter(config.webhook);
  if (opts.sandbox) adapters.sandbox = new SandboxCrm(opts.sandbox);
  const crmFor = (policy: Policy): CrmAdapter | undefined => {
    const named = policy.systems?.crm?.system;
    if (named === 'salesforce' || named === 'webhook' || named === 'sandbox') {
      return adapters[named] ?? adapters.sandbox;
    }
    return adapters.salesforce ?? adapters.webhook ?? adapters.sandbox;
  };
  const mail = config.smtp ? new Mailer(config.smtp, { logger: opts.logger }) : undefined;
  const slack = config.slack
    ? new SlackNotifier(config.slack.webhookUrl, { logger: opts.logger })
    : undefined;
  const jira = config.jira ? new JiraClient(config.jira) : undefined;
  const breakers = new Map<string, CircuitBreaker>();
  const breaker = (target: string) => {
    let b = breakers.get(target);
    if (!b) {
      b = new CircuitBreaker(target, {
        failures: config.breakerFailures,
        cooldownMs: config.breakerCooldownMs,
        onStateChange: (state: BreakerState) => {
          metrics.breakerOpen.set({ target }, state === 'closed' ? 0 : 1);
          opts.logger.warn({ target, state }, 'circuit breaker changed state');
        },
      });
      breakers.set(target, b);
    }
    return b;
  };
  const crmNow = crmFor(opts.policy());
  const notes = [
    crmNow
      ? `CRM: ${crmNow.target}${crmNow.target === 'sandbox' ? ' (demo sandbox in NATS KV, no real CRM)' : ''}`
      : 'CRM: off (set SALESFORCE_INSTANCE_URL… or DOCKSIDE_WEBHOOK_URL); CRM writes and tasks are held',
    jira ? 'Jira: on' : 'Jira: off (JIRA_URL, JIRA_TOKEN); Jira fallbacks are held',
    mail ? 'mail: on' : 'mail: off (SMTP_URL); e-mail notifications are skipped',
    slack ? 'Slack: on' : 'Slack: off (SLACK_WEBHOOK_URL)',
  ];
  for (const n of notes) opts.logger.info(n);
  const ports: Targets = {
    get crm() {
      return crmFor(opts.policy());
    },
    ...(jira ? { jira } : {}),
    ...(mail ? { mail } : {}),
    ...(slack ? { slack } : {}),
  };
  return {
    ports,
    breaker,
    notes,
    async close() {
      mail?.close();
    },
  };
}
