import { z } from 'zod';
import { chTime, fromChTime, queryRows, type Store } from '../../core/mod.ts';
import { type CustomerEntry, customerEntrySchema } from './types.ts';

/**
 * The customer directory in ClickHouse (table `customers`, migration 41). An import writes one row per
 * customer with a new version (`imported_at`); reads use FINAL and skip tombstones (`deleted = 1`).
 */
export type StoredCustomer = CustomerEntry & {
  /** Where the latest version came from: a file name, `api:<user>`, `crm:salesforce`. */
  readonly source: string;
  /** RFC 3339 UTC time of the latest import. */
  readonly importedAt: string;
};

let lastVersion = 0;
/** Strictly increasing in this process: two imports in one millisecond still order as they ran. */
function nextVersion(): number {
  lastVersion = Math.max(Date.now(), lastVersion + 1);
  return lastVersion;
}

export async function importCustomers(
  store: Store,
  database: string,
  entries: readonly CustomerEntry[],
  source: string,
): Promise<{ imported: number; importedAt: string }> {
  const at = nextVersion();
  // One row per customer: within one insert the version ties, so the last entry for an id is the one kept.
  const latest = new Map(entries.map((e) => [e.customerId, e]));
  const values = [...latest.values()].map((e) => toRow(e, source, at, 0));
  if (values.length > 0) {
    await store.client.insert({ table: `${database}.customers`, values, format: 'JSONEachRow' });
  }
  return { imported: values.length, importedAt: new Date(at).toISOString() };
}

/** Tombstones: the customers leave the directory (a later import brings them back). */
export async function deleteCustomers(
  store: Store,
  database: string,
  customerIds: readonly string[],
  source: string,
): Promise<number> {
  const at = nextVersion();
  const values = [...new Set(customerIds)].map((customerId) => ({
    ...emptyRow,
    customer_id: customerId,
    source,
    imported_at: chTime(at),
    deleted: 1,
  }));
  if (values.length > 0) {
    await store.client.insert({ table: `${database}.customers`, values, format: 'JSONEachRow' });
  }
  return values.length;
}

export interface LoadOptions {
  /** A stored row that is no longer a valid entry (hand-edited table): skipped and reported here. */
  readonly onInvalid?: (customerId: string, problem: string) => void;
}

export async function loadCustomers(
  store: Store,
  database: string,
  opts: LoadOptions = {},
): Promise<StoredCustomer[]> {
  const rows = await queryRows<unknown>(
    store,
    `SELECT * FROM ${database}.customers FINAL WHERE deleted = 0 ORDER BY customer_id`,
  );
  return fromRows(rows, opts);
}

export async function getCustomer(
  store: Store,
  database: string,
  customerId: string,
  opts: LoadOptions = {},
): Promise<StoredCustomer | undefined> {
  const rows = await queryRows<unknown>(
    store,
    `SELECT * FROM ${database}.customers FINAL WHERE customer_id = {id:String} AND deleted = 0`,
    { id: customerId },
  );
  return fromRows(rows, opts)[0];
}

const emptyRow = {
  crm_account_id: '',
  crm_external_id: '',
  owner_user_id: '',
  region: '',
  tier: '',
  name: '',
  owner_email: '',
  contact_email: '',
  attributes: {},
};

function toRow(e: CustomerEntry, source: string, at: number, deleted: 0 | 1) {
  return {
    customer_id: e.customerId,
    crm_account_id: e.crmAccountId ?? '',
    crm_external_id: e.crmExternalId ?? '',
    owner_user_id: e.ownerUserId,
    region: e.region,
    tier: e.tier,
    name: e.name ?? '',
    owner_email: e.ownerEmail ?? '',
    contact_email: e.contactEmail ?? '',
    attributes: e.attributes,
    source,
    imported_at: chTime(at),
    deleted,
  };
}

const rowSchema = z.object({
  customer_id: z.string(),
  crm_account_id: z.string(),
  crm_external_id: z.string(),
  owner_user_id: z.string(),
  region: z.string(),
  tier: z.string(),
  name: z.string(),
  owner_email: z.string(),
  contact_email: z.string(),
  attributes: z.record(z.string(), z.string()),
  source: z.string(),
  imported_at: z.string(),
});

function fromRows(rows: readonly unknown[], opts: LoadOptions): StoredCustomer[] {
  const out: StoredCustomer[] = [];
  for (const raw of rows) {
    const row = rowSchema.safeParse(raw);
    if (!row.success) {
      opts.onInvalid?.('(unknown)', row.error.message);
      continue;
    }
    const r = row.data;
    // Empty text columns stand for absent optional fields.
    const opt = (key: string, v: string) => (v === '' ? {} : { [key]: v });
    const entry = customerEntrySchema.safeParse({
      customerId: r.customer_id,
      ...opt('crmAccountId', r.crm_account_id),
      ...opt('crmExternalId', r.crm_external_id),
      ownerUserId: r.owner_user_id,
      region: r.region,
      tier: r.tier,
      ...opt('name', r.name),
      ...opt('ownerEmail', r.owner_email),
      ...opt('contactEmail', r.contact_email),
      attributes: r.attributes,
    });
    if (!entry.success) {
      opts.onInvalid?.(
        r.customer_id,
        entry.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
      continue;
    }
    out.push({
      ...entry.data,
      source: r.source,
      importedAt: new Date(fromChTime(r.imported_at)).toISOString(),
    });
  }
  return out;
}
