import type { Logger } from '../../core/mod.ts';
import type { AccountRef, CrmAdapter, FieldValue } from '../crm/adapter.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';

/**
 * What the CRM holds now for the fields an approval proposes, so a person sees "current → proposed" before
 * deciding. Read through the CRM adapter in force (the policy's `systems.crm.system`), cached a few seconds
 * per account (an inbox reloads often; the CRM's API allowance is not spent on it), one read in flight per
 * account. A CRM that is off, slow or failing never fails the request: the answer says why there are no values.
 */
export interface CurrentValues {
  /** Policy field name → the CRM's value (null when empty); null when they could not be read. */
  readonly currentValues: Record<string, FieldValue> | null;
  /** When the values were read from the CRM (RFC 3339), or null. */
  readonly currentValuesAt: string | null;
  /** Why there are no values (CRM off, unreachable, refused, no account), when there are none. */
  readonly currentValuesError?: string;
}

export interface CurrentValuesOptions {
  /** The CRM adapter in force now (undefined: no CRM configured). */
  readonly crm: () => CrmAdapter | undefined;
  readonly now: () => number;
  /** How long a read is reused for the same account (default 5 s). */
  readonly ttlMs?: number;
  /** How long a read may take before the answer says the CRM did not answer (default 4 s). */
  readonly timeoutMs?: number;
  /** Accounts kept in the cache (default 1,000; the oldest are dropped first). */
  readonly maxEntries?: number;
  readonly logger?: Logger;
}

interface Entry {
  readonly at: number;
  readonly fields: ReadonlySet<string>;
  readonly result: Promise<CurrentValues>;
}

const DEFAULT_TTL_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 4_000;

class ReadTimeout extends Error {}

export class CurrentValuesReader {
  private readonly cache = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: CurrentValuesOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxEntries = options.maxEntries ?? 1_000;
  }

  /** The current values of `fields` on `account` (policy field names); never throws. */
  read(account: AccountRef, fields: readonly string[]): Promise<CurrentValues> {
    const crm = this.options.crm();
    if (!crm) {
      return Promise.resolve(
        unavailable(
          'no CRM is configured (SALESFORCE_INSTANCE_URL… or DOCKSIDE_WEBHOOK_URL), so current values cannot be read',
        ),
      );
    }
    if (!account.id && !account.externalId) {
      return Promise.resolve(unavailable('the customer has no CRM account in the directory'));
    }
    if (fields.length === 0) {
      return Promise.resolve({
        currentValues: {},
        currentValuesAt: new Date(this.options.now()).toISOString(),
      });
    }
    const key = `${crm.target}\u001f${account.id ?? ''}\u001f${account.externalId ?? ''}`;
    const now = this.options.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs && fields.every((f) => hit.fields.has(f))) return hit.result;
    // Read the union of what was asked before and now, so two approvals on one account share the read.
    const wanted = new Set([...(hit && now - hit.at < this.ttlMs ? hit.fields : []), ...fields]);
    const result = this.fetch(crm, account, [...wanted]);
    this.cache.delete(key);
    this.cache.set(key, { at: now, fields: wanted, result });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return result;
  }

  /** Forgets what was read for an account (e.g. after a write or a rollback through this process). */
  forget(account: AccountRef): void {
    for (const key of this.cache.keys()) {
      const [, id, externalId] = key.split('\u001f');
      if ((account.id && id === account.id) || (account.externalId && externalId === account.externalId)) {
        this.cache.delete(key);
      }
    }
  }

  private async fetch(crm: CrmAdapter, account: AccountRef, fields: string[]): Promise<CurrentValues> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReadTimeout()), this.timeoutMs);
    });
    try {
      const values = await Promise.race([crm.readFields(account, fields), timeout]);
      return { currentValues: values, currentValuesAt: new Date(this.options.now()).toISOString() };
    } catch (err) {
      const why = describeFailure(crm.target, err, this.timeoutMs);
      this.options.logger?.warn(
        { target: crm.target, code: (err as { code?: unknown }).code ?? null },
        'reading current CRM values for the inbox failed',
      );
      return unavailable(why);
    } finally {
      clearTimeout(timer);
    }
  }
}

function unavailable(why: string): CurrentValues {
  return { currentValues: null, currentValuesAt: null, currentValuesError: why };
}

/** A person-readable reason, without the bodies a CRM may echo back. */
export function describeFailure(target: string, err: unknown, timeoutMs: number): string {
  if (err instanceof ReadTimeout) return `the CRM (${target}) did not answer within ${timeoutMs / 1000} s`;
  if (err instanceof TargetUnavailableError) return `the CRM is unavailable: ${err.message}`;
  if (err instanceof TargetRejectedError) return `the CRM refused the read (${err.code}): ${err.message}`;
  return `the CRM (${target}) could not be read: ${err instanceof Error ? err.message : String(err)}`;
}
