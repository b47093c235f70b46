import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type SalesforceConfig } from '../../core/mod.ts';
import type { CrmAccountRecord } from '../../writeback/crm/adapter.ts';
import { SalesforceAdapter } from '../../writeback/crm/salesforce.ts';
import {
  customersFromAccounts,
  DEFAULT_ACCOUNT_SOQL,
  loadFromCrm,
} from '../../writeback/directory/from-crm.ts';
import { SalesforceContract } from '../contract/salesforce.ts';
import { defaultObjects, type ObjectDef } from '../contract/salesforce-objects.ts';

const account = (id: string, fields: CrmAccountRecord['fields']): CrmAccountRecord => ({ id, fields });

describe('Accounts → directory entries (pure mapping)', () => {
  const good = account('001DK0000000001YAA', {
    Name: 'Acme',
    OwnerId: '005DK0000000001YAA',
    Dockside_Customer_Id__c: 'CUST-001',
    Region__c: 'us-midwest',
    Customer_Tier__c: 'Tier 1',
  });

  it('maps the default API fields, reading picklist spellings of the tier', () => {
    const r = customersFromAccounts([good]);
    expect(r.rejects).toEqual([]);
    expect(r.entries).toEqual([
      {
        customerId: 'CUST-001',
        crmAccountId: '001DK0000000001YAA',
        crmExternalId: 'CUST-001',
        ownerUserId: '005DK0000000001YAA',
        region: 'us-midwest',
        tier: 'tier1',
        name: 'Acme',
        attributes: { crmOwnerId: '005DK0000000001YAA' },
      },
    ]);
  });

  it('reports a record lacking a field (record, Account id, API field) instead of guessing it', () => {
    const noRegion = account('001DK0000000002YAA', {
      ...good.fields,
      Dockside_Customer_Id__c: 'CUST-002',
      Region__c: null,
    });
    const badTier = account('001DK0000000003YAA', {
      ...good.fields,
      Dockside_Customer_Id__c: 'CUST-003',
      Customer_Tier__c: 'Gold',
    });
    const r = customersFromAccounts([good, noRegion, badTier]);
    expect(r.entries.map((e) => e.customerId)).toEqual(['CUST-001']);
    expect(r.rejects).toEqual([
      expect.objectContaining({
        line: 2,
        field: 'Region__c',
        value: '(missing)',
        message: expect.stringMatching(
          /^Account 001DK0000000002YAA \(record 2\): Region__c: got \(missing\)/,
        ),
      }),
      expect.objectContaining({ line: 3, field: 'Customer_Tier__c', value: '"Gold"' }),
    ]);
  });

  it('maps CRM owners to Dockside users when given the map, and reports an owner it does not know', () => {
    const stranger = account('001DK0000000004YAA', {
      ...good.fields,
      Dockside_Customer_Id__c: 'CUST-004',
      OwnerId: '005DK0000000099YAA',
    });
    const owners = new Map([['005DK0000000001YAA', 'owner-ana']]);
    const r = customersFromAccounts([good, stranger], { owners });
    expect(r.entries.map((e) => [e.customerId, e.ownerUserId])).toEqual([['CUST-001', 'owner-ana']]);
    expect(r.rejects).toEqual([
      expect.objectContaining({ line: 2, field: 'OwnerId', value: '"005DK0000000099YAA"' }),
    ]);
  });

  it('follows a custom mapping', () => {
    const r = customersFromAccounts(
      [account('001X', { OwnerId: 'o', Ext__c: 'C9', Zone__c: 'us-south', Tier__c: 'tier3' })],
      { mapping: { customerId: 'Ext__c', crmExternalId: '', region: 'Zone__c', tier: 'Tier__c' } },
    );
    expect(r.entries).toEqual([
      expect.objectContaining({ customerId: 'C9', crmAccountId: '001X', region: 'us-south', tier: 'tier3' }),
    ]);
    expect(r.entries[0]).not.toHaveProperty('crmExternalId');
  });
});

describe('loadFromCrm against the Salesforce contract server (SOQL over REST)', () => {
  let sf: SalesforceContract;
  let config: SalesforceConfig;

  beforeAll(async () => {
    // The org's Account carries the directory's custom fields (Customer_Tier__c as in the default query).
    const base = defaultObjects.Account;
    if (!base) throw new Error('the contract server has no Account object');
    const Account: ObjectDef = { ...base, fields: [...base.fields, 'Customer_Tier__c'] };
    sf = await SalesforceContract.start({ pageSize: 2, objects: { ...defaultObjects, Account } });
    const c = loadConfig({}, sf.env()).writeback.salesforce;
    if (!c) throw new Error('salesforce config missing');
    config = c;
    const owner = '005DK0000000001YAA';
    for (let i = 1; i <= 3; i++) {
      sf.insert('Account', {
        Name: `Customer ${i}`,
        OwnerId: owner,
        Dockside_Customer_Id__c: `CUST-00${i}`,
        Region__c: i === 3 ? 'us-west' : 'us-midwest',
        Customer_Tier__c: `Tier ${i}`,
      });
    }
    sf.insert('Account', { Name: 'Not a Dockside customer', OwnerId: owner, Region__c: 'us-midwest' });
    sf.insert('Account', {
      Name: 'No region',
      OwnerId: owner,
      Dockside_Customer_Id__c: 'CUST-009',
      Customer_Tier__c: 'tier2',
    });
  });
  afterAll(() => sf?.close());

  it('runs the default query (all pages) and maps every Dockside account, reporting the incomplete one', async () => {
    const from = sf.requests.length;
    const r = await loadFromCrm(new SalesforceAdapter(config), {
      owners: new Map([['005DK0000000001YAA', 'owner-ana']]),
    });
    const queries = sf.requests.slice(from).filter((q) => q.url.includes('/query'));
    expect(decodeURIComponent(queries[0]?.url ?? '')).toContain(DEFAULT_ACCOUNT_SOQL);
    expect(queries.length).toBe(2); // 4 matching records, 2 a page
    expect(r.source).toBe('crm:salesforce');
    expect(r.entries.map((e) => [e.customerId, e.tier, e.region, e.ownerUserId])).toEqual([
      ['CUST-001', 'tier1', 'us-midwest', 'owner-ana'],
      ['CUST-002', 'tier2', 'us-midwest', 'owner-ana'],
      ['CUST-003', 'tier3', 'us-west', 'owner-ana'],
    ]);
    for (const e of r.entries) {
      expect(e.crmAccountId).toMatch(/^001/);
      expect(sf.record('Account', e.crmAccountId ?? '')?.Dockside_Customer_Id__c).toBe(e.customerId);
    }
    expect(r.rejects).toEqual([expect.objectContaining({ field: 'Region__c', value: '(missing)' })]);
  });

  it('passes a custom SOQL query through', async () => {
    const r = await loadFromCrm(new SalesforceAdapter(config), {
      soql: "SELECT Id, Name, OwnerId, Dockside_Customer_Id__c, Region__c, Customer_Tier__c FROM Account WHERE Region__c = 'us-west'",
    });
    expect(r.entries.map((e) => e.customerId)).toEqual(['CUST-003']);
    expect(r.entries[0]?.ownerUserId).toBe('005DK0000000001YAA');
  });
});
