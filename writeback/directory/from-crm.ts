import { customerTiers } from '../../core/mod.ts';
import type { CrmAccountRecord, CrmAdapter, FieldValue } from '../crm/adapter.ts';
import { TargetRejectedError } from '../errors.ts';
import type { LineIssue, ParseResult } from './parse.ts';
import { shown } from './records.ts';
import { type CustomerEntry, customerEntrySchema } from './types.ts';

/**
 * The customer directory read from the CRM: Accounts (a SOQL query) → directory entries. The mapping names
 * which API field holds each entry field; a record lacking a required one is reported (record position,
 * Account id, API field), never filled in with a guess.
 */
export interface CrmMapping {
  readonly customerId: string;
  readonly crmAccountId: string;
  /** The Account's external id field (addresses the account when its record id is unknown); '' = none. */
  readonly crmExternalId: string;
  readonly ownerUserId: string;
  readonly region: string;
  readonly tier: string;
  readonly name: string;
}

export const defaultCrmMapping: CrmMapping = {
  customerId: 'Dockside_Customer_Id__c',
  crmAccountId: 'Id',
  crmExternalId: 'Dockside_Customer_Id__c',
  ownerUserId: 'OwnerId',
  region: 'Region__c',
  tier: 'Customer_Tier__c',
  name: 'Name',
};

export const DEFAULT_ACCOUNT_SOQL =
  'SELECT Id, Name, OwnerId, Dockside_Customer_Id__c, Region__c, Customer_Tier__c FROM Account WHERE Dockside_Customer_Id__c != null';

export interface CrmLoadOptions {
  readonly soql?: string;
  readonly mapping?: Partial<CrmMapping>;
  /**
   * CRM user id (an Account's OwnerId) → Dockside user id, e.g. UserDirectory.crmOwners(). When given, an
   * owner missing from it is reported; when absent, the CRM's owner id is used as the user id.
   */
  readonly owners?: ReadonlyMap<string, string>;
}

const required = ['customerId', 'crmAccountId', 'ownerUserId', 'region', 'tier'] as const;

export function customersFromAccounts(
  records: readonly CrmAccountRecord[],
  opts: Pick<CrmLoadOptions, 'mapping' | 'owners'> = {},
): ParseResult<CustomerEntry> {
  const mapping: CrmMapping = { ...defaultCrmMapping, ...opts.mapping };
  const entries = new Map<string, CustomerEntry>();
  const rejects: LineIssue[] = [];
  const warnings: LineIssue[] = [];
  for (const [i, record] of records.entries()) {
    const position = i + 1;
    const issue = (entryField: keyof CrmMapping, value: string, expected: string): LineIssue => {
      const field = mapping[entryField];
      return {
        line: position,
        field,
        value,
        expected,
        message: `Account ${record.id} (record ${position}): ${field}: got ${value}, expected ${expected}`,
      };
    };
    const text = (entryField: keyof CrmMapping) => asText(apiField(record, mapping[entryField]));
    const missing = required.filter((f) => text(f) === undefined);
    for (const f of missing) {
      rejects.push(
        issue(f, '(missing)', `a value for the directory's ${f} (records lacking it are not guessed)`),
      );
    }
    if (missing.length > 0) continue;
    const crmOwner = text('ownerUserId') ?? '';
    const ownerUserId = opts.owners ? opts.owners.get(crmOwner) : crmOwner;
    if (ownerUserId === undefined) {
      rejects.push(
        issue(
          'ownerUserId',
          shown(crmOwner),
          'the CRM user id of a Dockside user (crmUserId in the users file)',
        ),
      );
      continue;
    }
    const rawTier = text('tier') ?? '';
    const tier = tierOf(rawTier);
    if (tier === undefined) {
      rejects.push(issue('tier', shown(rawTier), `one of ${customerTiers.join(', ')} (or Tier 1 … Tier 3)`));
      continue;
    }
    const external = mapping.crmExternalId === '' ? undefined : text('crmExternalId');
    const name = text('name');
    const parsed = customerEntrySchema.safeParse({
      customerId: text('customerId'),
      crmAccountId: text('crmAccountId'),
      ...(external === undefined ? {} : { crmExternalId: external }),
      ownerUserId,
      region: text('region'),
      tier,
      ...(name === undefined ? {} : { name }),
      attributes: { crmOwnerId: crmOwner },
    });
    if (!parsed.success) {
      for (const zi of parsed.error.issues) {
        const f = String(zi.path[0] ?? 'customerId');
        const entryField = (f in mapping ? f : 'customerId') as keyof CrmMapping;
        rejects.push(issue(entryField, shown(text(entryField)), zi.message));
      }
      continue;
    }
    const id = parsed.data.customerId;
    if (entries.has(id)) {
      warnings.push(
        issue('customerId', shown(id), 'each customer id on one Account (the later record is kept)'),
      );
      entries.delete(id);
    }
    entries.set(id, parsed.data);
  }
  return { format: 'ndjson', source: 'crm', entries: [...entries.values()], rejects, warnings };
}

/** Runs the Account query through the adapter and maps the records. */
export async function loadFromCrm(
  adapter: CrmAdapter,
  opts: CrmLoadOptions = {},
): Promise<ParseResult<CustomerEntry>> {
  if (!adapter.listAccounts) {
    throw new TargetRejectedError(
      adapter.target,
      'LIST_NOT_SUPPORTED',
      'this CRM adapter cannot list accounts',
    );
  }
  const records = await adapter.listAccounts(opts.soql ?? DEFAULT_ACCOUNT_SOQL);
  return { ...customersFromAccounts(records, opts), source: `crm:${adapter.target}` };
}

/** A field by API name: `Id`, `Name` and `OwnerId` are also carried outside `fields` by the adapter. */
function apiField(record: CrmAccountRecord, api: string): FieldValue | undefined {
  if (api === 'Id') return record.id;
  const own = record.fields[api];
  if (own !== undefined && own !== null) return own;
  if (api === 'Name') return record.name;
  if (api === 'OwnerId') return record.ownerId;
  return own ?? undefined;
}

function asText(v: FieldValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** Picklists spell tiers in several ways: `tier1`, `Tier 1`, `TIER_1`, `1`. */
function tierOf(raw: string): CustomerEntry['tier'] | undefined {
  const m = /^(?:tier)?([123])$/.exec(raw.toLowerCase().replace(/[\s_-]+/g, ''));
  return customerTiers.find((t) => m !== null && t === `tier${m[1]}`);
}
