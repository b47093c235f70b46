import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { JiraContract } from '../contract/jira.ts';
import { SalesforceContract } from '../contract/salesforce.ts';
import { type SlackContractServer, startSlackServer } from '../contract/slack.ts';
import { repoRoot, tempDir } from './env.ts';
import { type Received, startSmtp } from './smtp.ts';

export const TEMPLATE_POLICY = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');

export interface WorldCustomer {
  readonly customerId: string;
  readonly tier: 'tier1' | 'tier2' | 'tier3';
  readonly region: string;
  readonly ownerUserId: string;
  /** Salesforce record id, created in the contract server. */
  readonly accountId: string;
}

export interface World {
  readonly sf: SalesforceContract;
  readonly jira: JiraContract;
  readonly slack: SlackContractServer;
  readonly mail: Received[];
  readonly customers: Record<string, WorldCustomer>;
  /** Environment for loadConfig / a spawned `dockside up`: every external target pointed at its local server. */
  readonly env: Record<string, string>;
  readonly dir: string;
  close(): Promise<void>;
}

const people = [
  {
    userId: 'revops-rita',
    name: 'Rita Revops',
    email: 'rita@example.com',
    roles: ['revops_manager'],
    regions: ['us-midwest', 'us-southeast'],
  },
  {
    userId: 'revops-ray',
    name: 'Ray Revops',
    email: 'ray@example.com',
    roles: ['revops_manager'],
    regions: ['us-midwest'],
  },
  { userId: 'owner-ana', name: 'Ana Owner', email: 'ana@example.com', roles: ['account_owner'], regions: [] },
  { userId: 'owner-bob', name: 'Bob Owner', email: 'bob@example.com', roles: ['account_owner'], regions: [] },
  {
    userId: 'dispatch-dana',
    name: 'Dana Dispatch',
    email: 'dana@example.com',
    roles: ['ops_dispatch_manager'],
    regions: [],
  },
  { userId: 'admin', name: 'Ada Admin', email: 'admin@example.com', roles: ['admin'], regions: ['*'] },
];

/**
 * The outside world of a write-back test, all real servers on loopback: the Salesforce, Jira and Slack
 * contract servers and an SMTP server, plus a customer and a user directory file naming them.
 * CUST-T1, CUST-T1B (tier1, owner-ana) and CUST-T3 (tier3, owner-bob) in us-midwest, CUST-T1C (tier1,
 * owner-ana) in us-southeast; CUST-WEST (tier1) outside the policy's regions.
 */
export async function startWorld(tag: string): Promise<World> {
  const sf = await SalesforceContract.start();
  const jira = await JiraContract.start();
  const slack = await startSlackServer();
  const smtp = await startSmtp();
  const t = tempDir(`${tag}-world`);
  const specs = [
    { customerId: 'CUST-T1', tier: 'tier1', region: 'us-midwest', ownerUserId: 'owner-ana' },
    { customerId: 'CUST-T1B', tier: 'tier1', region: 'us-midwest', ownerUserId: 'owner-ana' },
    { customerId: 'CUST-T1C', tier: 'tier1', region: 'us-southeast', ownerUserId: 'owner-ana' },
    { customerId: 'CUST-T3', tier: 'tier3', region: 'us-midwest', ownerUserId: 'owner-bob' },
    { customerId: 'CUST-WEST', tier: 'tier1', region: 'us-west', ownerUserId: 'owner-ana' },
  ] as const;
  const customers: Record<string, WorldCustomer> = {};
  for (const c of specs) {
    const accountId = sf.insert('Account', {
      Name: `${c.customerId} Inc`,
      Dockside_Customer_Id__c: c.customerId,
      Ops_Risk_Level__c: 'low',
      Ops_Risk_Reason__c: null,
    });
    customers[c.customerId] = { ...c, accountId };
  }
  const customersFile = path.join(t.dir, 'customers.ndjson');
  writeFileSync(
    customersFile,
    Object.values(customers)
      .map((c) =>
        JSON.stringify({
          customerId: c.customerId,
          crmAccountId: c.accountId,
          crmExternalId: c.customerId,
          ownerUserId: c.ownerUserId,
          region: c.region,
          tier: c.tier,
          contactEmail: `ops@${c.customerId.toLowerCase()}.example.com`,
        }),
      )
      .join('\n'),
  );
  const usersFile = path.join(t.dir, 'users.ndjson');
  writeFileSync(usersFile, people.map((u) => JSON.stringify(u)).join('\n'));
  return {
    sf,
    jira,
    slack,
    mail: smtp.received,
    customers,
    dir: t.dir,
    env: {
      ...sf.env(),
      ...jira.env(),
      SLACK_WEBHOOK_URL: slack.url,
      SMTP_URL: smtp.url,
      POLICY_FILE: TEMPLATE_POLICY,
      DOCKSIDE_CUSTOMERS_FILE: customersFile,
      DOCKSIDE_USERS_FILE: usersFile,
      DOCKSIDE_IDLE_ADVANCE_MS: '200',
      DOCKSIDE_ALLOWED_LATENESS_MS: '1000',
      DOCKSIDE_APPROVAL_SWEEP_MS: '200',
      DOCKSIDE_BREAKER_COOLDOWN_MS: '2000',
      DOCKSIDE_WRITE_BACKOFF_MAX_MS: '2000',
    },
    async close() {
      await Promise.allSettled([sf.close(), jira.close(), slack.close(), smtp.close()]);
      t.remove();
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;

/**
 * Events that make a late_scan for `customerId`: a commitment whose ship-by passed 62 minutes ago (so its
 * deadline, ship-by + 60 min, passed 2 minutes ago), a complete pick before the deadline (the WMS feed covers
 * the shipment: confidence 0.92) and a pack seconds ago, which moves the partition's watermark past it.
 */
export function lateScanEvents(
  customerId: string,
  tier: string,
  nowMs = Date.now(),
  opts: { wmsBeforeDeadline?: boolean } = {},
) {
  // Without WMS activity before the deadline the feed may not cover the shipment: confidence 0.81.
  const seen = opts.wmsBeforeDeadline ?? true;
  const shipmentId = `SHP-${customerId}-${process.pid}-${++n}-${nowMs.toString(36)}`;
  return {
    shipmentId,
    // The pick goes first: when other shipments of the partition have already moved its watermark past
    // this deadline, the late scan fires as soon as the commitment arrives, and the pick must be known by then.
    events: [
      {
        id: `pick-${shipmentId}`,
        type: 'wms.pick',
        occurredAt: iso(nowMs - (seen ? 5 * 60_000 : 20_000)),
        shipmentId,
        warehouseId: 'WH-CHI1',
        sku: 'SKU-1',
        qtyOrdered: 10,
        qtyPicked: 10,
      },
      {
        id: `commit-${shipmentId}`,
        type: 'shipment.committed',
        occurredAt: iso(nowMs - 3 * 3_600_000),
        shipmentId,
        customerId,
        customerTier: tier,
        warehouseId: 'WH-CHI1',
        lane: 'CHI>NYC',
        promisedShipBy: iso(nowMs - 62 * 60_000),
      },
      {
        id: `pack-${shipmentId}`,
        type: 'wms.pack',
        occurredAt: iso(nowMs - 10_000),
        shipmentId,
        warehouseId: 'WH-CHI1',
      },
    ],
  };
}

export function inventoryMismatchEvent(nowMs = Date.now()) {
  return {
    id: `count-${process.pid}-${++n}-${nowMs.toString(36)}`,
    type: 'wms.cycle_count',
    occurredAt: iso(nowMs - 60_000),
    warehouseId: 'WH-CHI1',
    sku: `SKU-COUNT-${n}`,
    countedQty: 40,
    systemQty: 52,
    location: 'A-01-02',
  };
}
