import type { KV } from '@nats-io/kv';
import type { WritebackConfig } from '../../core/mod.ts';
import type { CrmAdapter } from './adapter.ts';
import { SalesforceAdapter } from './salesforce.ts';
import { SandboxCrm } from './sandbox.ts';
import { WebhookAdapter } from './webhook.ts';

export interface CrmChoice {
  readonly adapter: CrmAdapter | undefined;
  /** One line for the start-up log: which CRM target is in use, or why none is (no secrets in it). */
  readonly note: string;
}

/**
 * The CRM target from configuration: Salesforce when configured, else the signed webhook, else the
 * sandbox when the caller provides its KV bucket (demo), else none (decisions needing it are held).
 */
export function selectCrm(
  wb: Pick<WritebackConfig, 'salesforce' | 'webhook'>,
  deps: { sandbox?: KV; onLimitInfo?: (used: number, max: number) => void; timeoutMs?: number } = {},
): CrmChoice {
  const timeout = deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {};
  if (wb.salesforce) {
    const also = wb.webhook ? ' (DOCKSIDE_WEBHOOK_URL is set too and is not used)' : '';
    return {
      adapter: new SalesforceAdapter(wb.salesforce, {
        ...timeout,
        ...(deps.onLimitInfo ? { onLimitInfo: deps.onLimitInfo } : {}),
      }),
      note: `CRM target: Salesforce at ${wb.salesforce.instanceUrl} (API ${wb.salesforce.apiVersion})${also}`,
    };
  }
  if (wb.webhook) {
    return {
      adapter: new WebhookAdapter(wb.webhook, timeout),
      note: `CRM target: signed webhook ${new URL(wb.webhook.url).origin}`,
    };
  }
  if (deps.sandbox) {
    return {
      adapter: new SandboxCrm(deps.sandbox),
      note: 'CRM target: the sandbox CRM (NATS KV), for demos',
    };
  }
  return {
    adapter: undefined,
    note: 'CRM target: none (set SALESFORCE_INSTANCE_URL… or DOCKSIDE_WEBHOOK_URL); CRM writes and tasks are held',
  };
}
