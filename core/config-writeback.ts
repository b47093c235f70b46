import path from 'node:path';
import { z } from 'zod';
import { intIn, urlWithProtocols } from './config-fields.ts';
import { ConfigError } from './errors.ts';

/**
 * Configuration of identity, the customer directory, the external targets (CRM, Jira, mail, Slack) and the
 * write-back pipeline. Every external target is optional: unset means that adapter is off (said once at
 * start; decisions that need it are held with that reason), so `up` and `demo` run with none of them.
 */
const url = urlWithProtocols;
const http = url(['http:', 'https:']);
const file = z.string().min(1);
/** `name=Api_Name__c,other=Other__c`: policy field names → CRM API names. */
const fieldMap = z
  .string()
  .regex(
    /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$/,
    'name=Api_Name__c[,name=Api_Name__c…]',
  );

export const writebackEnvShape = {
  /** `on` (default) or `off`: an open local mode where every request acts as a local admin (demo --open). */
  DOCKSIDE_AUTH: z.enum(['on', 'off']).default('on'),
  /** HS256 signing secret (at least 32 characters). */
  DOCKSIDE_JWT_SECRET: z.string().min(32).optional(),
  /** A PEM (SPKI) public key file for RS256/ES256 tokens. */
  DOCKSIDE_JWT_PUBLIC_KEY: file.optional(),
  DOCKSIDE_JWT_ALG: z.enum(['RS256', 'ES256']).default('RS256'),
  /** A JWKS file ({"keys": [...]}), e.g. exported from the identity provider. */
  DOCKSIDE_JWT_JWKS_FILE: file.optional(),
  DOCKSIDE_JWT_ISSUER: z.string().min(1).optional(),
  DOCKSIDE_JWT_AUDIENCE: z.string().min(1).optional(),
  DOCKSIDE_CUSTOMERS_FILE: file.optional(),
  DOCKSIDE_USERS_FILE: file.optional(),
  /** `on`: read the customer directory from the CRM's Accounts (SOQL) at start and every 15 minutes. */
  DOCKSIDE_CUSTOMERS_FROM_CRM: z.enum(['on', 'off']).default('off'),
  /** The SOQL query of Accounts for the directory (default: docs/writeback.md, "Customer directory"). */
  DOCKSIDE_CUSTOMERS_SOQL: z
    .string()
    .regex(/^\s*SELECT\s/i, 'a SOQL SELECT query')
    .optional(),
  SALESFORCE_INSTANCE_URL: http.optional(),
  SALESFORCE_TOKEN_URL: http.optional(),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
  SALESFORCE_API_VERSION: z
    .string()
    .regex(/^v\d{2,3}\.\d$/, 'a version like v62.0')
    .default('v62.0'),
  SALESFORCE_FIELD_MAP: fieldMap.optional(),
  /** External id field on Account used when a customer has no Salesforce record id, e.g. Dockside_Customer_Id__c. */
  SALESFORCE_ACCOUNT_EXTERNAL_ID_FIELD: z.string().min(1).optional(),
  /** External id field on Task: tasks are upserted by it, so a retried create makes one task. */
  SALESFORCE_TASK_EXTERNAL_ID_FIELD: z.string().min(1).default('Dockside_Action_Id__c'),
  /** Generic CRM target: a signed JSON webhook (HMAC-SHA256 over the body). */
  DOCKSIDE_WEBHOOK_URL: http.optional(),
  DOCKSIDE_WEBHOOK_SECRET: z.string().min(16).optional(),
  JIRA_URL: http.optional(),
  JIRA_TOKEN: z.string().min(1).optional(),
  /** With a user, Jira Cloud basic auth (user:token); without, a bearer personal access token. */
  JIRA_USER: z.string().min(1).optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  DOCKSIDE_MAIL_FROM: z.string().min(3).default('Dockside <dockside@localhost>'),
  SLACK_WEBHOOK_URL: http.optional(),
  /** Base URL people open from notifications; default http://HOST:PORT. */
  DOCKSIDE_PUBLIC_URL: http.optional(),
  DOCKSIDE_SHADOW_POLICY: file.optional(),
  DOCKSIDE_WRITE_MAX_ATTEMPTS: intIn(1, 100).default(12),
  DOCKSIDE_WRITE_BACKOFF_MAX_MS: intIn(100, 3_600_000).default(60_000),
  DOCKSIDE_BREAKER_FAILURES: intIn(1, 1_000).default(5),
  DOCKSIDE_BREAKER_COOLDOWN_MS: intIn(100, 3_600_000).default(15_000),
  DOCKSIDE_APPROVAL_SWEEP_MS: intIn(100, 3_600_000).default(5_000),
  /** How long an outbox command may run unacknowledged before JetStream redelivers it (a crashed process's work). */
  DOCKSIDE_OUTBOX_ACK_WAIT_MS: intIn(1_000, 3_600_000).default(60_000),
  /** Who may also act on a step once it has timed out once (escalation), before it expires. */
  DOCKSIDE_ESCALATION_ROLE: z.string().min(1).default('admin'),
  /** How often the policy file is checked for changes (hot reload); 0 = never. */
  DOCKSIDE_POLICY_RELOAD_MS: intIn(0, 3_600_000).default(2_000),
};

type Env = z.output<z.ZodObject<typeof writebackEnvShape>>;

export interface SalesforceConfig {
  readonly instanceUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiVersion: string;
  /** Policy field name → API name; names not listed map by convention (ops_risk_level → Ops_Risk_Level__c). */
  readonly fieldMap: Readonly<Record<string, string>>;
  readonly accountExternalIdField?: string;
  readonly taskExternalIdField: string;
}

export interface WritebackConfig {
  readonly auth: {
    readonly enabled: boolean;
    readonly secret?: string;
    readonly publicKeyFile?: string;
    readonly publicKeyAlg: 'RS256' | 'ES256';
    readonly jwksFile?: string;
    readonly issuer?: string;
    readonly audience?: string;
    /** Where a development HS256 secret is kept when no key is configured (created on first use). */
    readonly devSecretFile: string;
  };
  readonly customersFile?: string;
  readonly usersFile?: string;
  readonly customersFromCrm: boolean;
  readonly customersSoql?: string;
  readonly salesforce?: SalesforceConfig;
  readonly webhook?: { readonly url: string; readonly secret: string };
  readonly jira?: { readonly url: string; readonly token: string; readonly user?: string };
  readonly smtp?: { readonly url: string; readonly from: string };
  readonly slack?: { readonly webhookUrl: string };
  readonly publicUrl: string;
  readonly shadowPolicyFile?: string;
  readonly maxAttempts: number;
  readonly backoffMaxMs: number;
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
  readonly sweepIntervalMs: number;
  readonly outboxAckWaitMs: number;
  readonly escalationRole: string;
  readonly policyReloadMs: number;
}

/** Keys that must be set together; names the first missing one. */
function together(e: Partial<Record<string, unknown>>, keys: readonly string[], what: string): boolean {
  const set = keys.filter((k) => e[k] !== undefined);
  if (set.length === 0) return false;
  const missing = keys.find((k) => e[k] === undefined);
  if (missing) {
    throw new ConfigError(
      missing,
      `${missing} is missing: ${what} needs ${keys.join(', ')} (${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set)`,
    );
  }
  return true;
}

function parseFieldMap(text: string | undefined): Record<string, string> {
  if (!text) return {};
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [k, v] = pair.split('=').map((s) => s.trim());
      return [k as string, v as string];
    }),
  );
}

export function writebackConfig(
  e: Env,
  ctx: { host: string; port: number; dataDir: string },
): WritebackConfig {
  const keys = [e.DOCKSIDE_JWT_SECRET, e.DOCKSIDE_JWT_PUBLIC_KEY, e.DOCKSIDE_JWT_JWKS_FILE].filter(Boolean);
  if (keys.length > 1) {
    throw new ConfigError(
      'DOCKSIDE_JWT_SECRET',
      'DOCKSIDE_JWT_SECRET, DOCKSIDE_JWT_PUBLIC_KEY and DOCKSIDE_JWT_JWKS_FILE are alternatives: set one',
    );
  }
  const sf = together(
    e,
    ['SALESFORCE_INSTANCE_URL', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
    'the Salesforce adapter',
  );
  const hook = together(e, ['DOCKSIDE_WEBHOOK_URL', 'DOCKSIDE_WEBHOOK_SECRET'], 'the webhook adapter');
  const jira = together(e, ['JIRA_URL', 'JIRA_TOKEN'], 'the Jira adapter');
  const host = ctx.host === '0.0.0.0' ? '127.0.0.1' : ctx.host;
  const resolve = (f: string | undefined) => (f ? path.resolve(f) : undefined);
  const opt = <K extends string, V>(key: K, v: V | undefined) =>
    (v === undefined ? {} : { [key]: v }) as Partial<Record<K, V>>;
  return {
    auth: {
      enabled: e.DOCKSIDE_AUTH === 'on',
      ...opt('secret', e.DOCKSIDE_JWT_SECRET),
      ...opt('publicKeyFile', resolve(e.DOCKSIDE_JWT_PUBLIC_KEY)),
      publicKeyAlg: e.DOCKSIDE_JWT_ALG,
      ...opt('jwksFile', resolve(e.DOCKSIDE_JWT_JWKS_FILE)),
      ...opt('issuer', e.DOCKSIDE_JWT_ISSUER),
      ...opt('audience', e.DOCKSIDE_JWT_AUDIENCE),
      devSecretFile: path.join(ctx.dataDir, 'jwt-dev-secret'),
    },
    ...opt('customersFile', resolve(e.DOCKSIDE_CUSTOMERS_FILE)),
    ...opt('usersFile', resolve(e.DOCKSIDE_USERS_FILE)),
    customersFromCrm: e.DOCKSIDE_CUSTOMERS_FROM_CRM === 'on',
    ...opt('customersSoql', e.DOCKSIDE_CUSTOMERS_SOQL),
    ...(sf
      ? {
          salesforce: {
            instanceUrl: (e.SALESFORCE_INSTANCE_URL as string).replace(/\/+$/, ''),
            tokenUrl:
              e.SALESFORCE_TOKEN_URL ??
              `${(e.SALESFORCE_INSTANCE_URL as string).replace(/\/+$/, '')}/services/oauth2/token`,
            clientId: e.SALESFORCE_CLIENT_ID as string,
            clientSecret: e.SALESFORCE_CLIENT_SECRET as string,
            apiVersion: e.SALESFORCE_API_VERSION,
            fieldMap: parseFieldMap(e.SALESFORCE_FIELD_MAP),
            ...opt('accountExternalIdField', e.SALESFORCE_ACCOUNT_EXTERNAL_ID_FIELD),
            taskExternalIdField: e.SALESFORCE_TASK_EXTERNAL_ID_FIELD,
          },
        }
      : {}),
    ...(hook
      ? { webhook: { url: e.DOCKSIDE_WEBHOOK_URL as string, secret: e.DOCKSIDE_WEBHOOK_SECRET as string } }
      : {}),
    ...(jira
      ? {
          jira: {
            url: (e.JIRA_URL as string).replace(/\/+$/, ''),
            token: e.JIRA_TOKEN as string,
            ...opt('user', e.JIRA_USER),
          },
        }
      : {}),
    ...(e.SMTP_URL ? { smtp: { url: e.SMTP_URL, from: e.DOCKSIDE_MAIL_FROM } } : {}),
    ...(e.SLACK_WEBHOOK_URL ? { slack: { webhookUrl: e.SLACK_WEBHOOK_URL } } : {}),
    publicUrl: (e.DOCKSIDE_PUBLIC_URL ?? `http://${host}:${ctx.port}`).replace(/\/+$/, ''),
    ...opt('shadowPolicyFile', resolve(e.DOCKSIDE_SHADOW_POLICY)),
    maxAttempts: e.DOCKSIDE_WRITE_MAX_ATTEMPTS,
    backoffMaxMs: e.DOCKSIDE_WRITE_BACKOFF_MAX_MS,
    breakerFailures: e.DOCKSIDE_BREAKER_FAILURES,
    breakerCooldownMs: e.DOCKSIDE_BREAKER_COOLDOWN_MS,
    sweepIntervalMs: e.DOCKSIDE_APPROVAL_SWEEP_MS,
    outboxAckWaitMs: e.DOCKSIDE_OUTBOX_ACK_WAIT_MS,
    escalationRole: e.DOCKSIDE_ESCALATION_ROLE,
    policyReloadMs: e.DOCKSIDE_POLICY_RELOAD_MS,
  };
}
