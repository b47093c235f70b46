import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createLogger,
  loadConfig,
  migrate,
  openStore,
  queryRows,
  type Store,
} from '../../core/mod.ts';
import { registerErrorHandler } from '../../dashboards/errors.ts';
import { CustomerDirectory } from '../../writeback/directory/directory.ts';
import { loadCustomersFile } from '../../writeback/directory/files.ts';
import { registerCustomerRoutes } from '../../writeback/directory/http.ts';
import { directoryMigrations } from '../../writeback/directory/migrations.ts';
import {
  deleteCustomers,
  getCustomer,
  importCustomers,
  loadCustomers,
} from '../../writeback/directory/store.ts';
import type { CustomerEntry } from '../../writeback/directory/types.ts';
import { UserDirectory } from '../../writeback/directory/users.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

const data = tempDir('directory');
const db = 'dockside';
const logger = createLogger({ logLevel: 'silent' });
let store: Store;

const entry = (o: Partial<CustomerEntry> = {}): CustomerEntry => ({
  customerId: 'CUST-900',
  crmAccountId: '001DK0000000900YAA',
  ownerUserId: 'owner-ana',
  region: 'us-midwest',
  tier: 'tier1',
  attributes: {},
  ...o,
});

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, db, directoryMigrations);
});
afterAll(async () => {
  await store?.close();
  data.remove();
});

describe('customers in ClickHouse', () => {
  it('migration 41 creates the customers table once', async () => {
    expect(await migrate(store, db, directoryMigrations)).toEqual([]);
    const cols = await queryRows<{ name: string; type: string }>(
      store,
      `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = 'customers' ORDER BY position`,
    );
    expect(cols.map((c) => c.name)).toEqual([
      'customer_id',
      'crm_account_id',
      'crm_external_id',
      'owner_user_id',
      'region',
      'tier',
      'name',
      'owner_email',
      'contact_email',
      'attributes',
      'source',
      'imported_at',
      'deleted',
    ]);
    expect(cols.find((c) => c.name === 'imported_at')?.type).toBe("DateTime64(3, 'UTC')");
  });

  it('stores an import and reads it back (optional fields absent, attributes kept, source and time recorded)', async () => {
    const full = entry({
      customerId: 'CUST-901',
      crmExternalId: 'CUST-901',
      name: 'Acme, Inc.',
      ownerEmail: 'ana.owner@example.com',
      contactEmail: 'ops@example.com',
      attributes: { segment: 'retail' },
    });
    const bare: CustomerEntry = {
      customerId: 'CUST-902',
      crmExternalId: 'CUST-902',
      ownerUserId: 'owner-ben',
      region: 'us-southeast',
      tier: 'tier3',
      attributes: {},
    };
    const before = Date.now();
    const result = await importCustomers(store, db, [full, bare], 'file:a.ndjson');
    expect(result.imported).toBe(2);
    const got = await getCustomer(store, db, 'CUST-901');
    expect(got).toEqual({ ...full, source: 'file:a.ndjson', importedAt: result.importedAt });
    expect(Date.parse(result.importedAt)).toBeGreaterThanOrEqual(before - 1);
    const second = await getCustomer(store, db, 'CUST-902');
    expect(second).not.toHaveProperty('crmAccountId');
    expect(second).not.toHaveProperty('name');
    expect(await getCustomer(store, db, 'CUST-NONE')).toBeUndefined();
  });

  it('a re-import updates: the latest import of a customer wins, and tombstones hide a customer', async () => {
    await importCustomers(store, db, [entry({ customerId: 'CUST-910', ownerUserId: 'owner-ana' })], 'first');
    await importCustomers(
      store,
      db,
      [entry({ customerId: 'CUST-910', ownerUserId: 'owner-ben', tier: 'tier2' })],
      'second',
    );
    const all = await loadCustomers(store, db);
    const mine = all.filter((c) => c.customerId === 'CUST-910');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ ownerUserId: 'owner-ben', tier: 'tier2', source: 'second' });
    expect(await deleteCustomers(store, db, ['CUST-910'], 'test')).toBe(1);
    expect((await loadCustomers(store, db)).some((c) => c.customerId === 'CUST-910')).toBe(false);
  });

  it('skips (and reports) a stored row that is no longer a valid entry', async () => {
    await store.client.insert({
      table: `${db}.customers`,
      values: [
        {
          customer_id: 'CUST-BAD',
          owner_user_id: 'o',
          region: 'r',
          tier: 'gold',
          crm_account_id: 'A',
          imported_at: '2026-01-01 00:00:00.000',
        },
      ],
      format: 'JSONEachRow',
    });
    const problems: string[] = [];
    const all = await loadCustomers(store, db, { onInvalid: (id, why) => problems.push(`${id}: ${why}`) });
    expect(all.some((c) => c.customerId === 'CUST-BAD')).toBe(false);
    expect(problems).toEqual([expect.stringMatching(/^CUST-BAD: tier: /)]);
    await deleteCustomers(store, db, ['CUST-BAD'], 'test');
  });
});

describe('CustomerDirectory', () => {
  it('serves get/all/size from memory, and an import through it is visible at once', async () => {
    const directory = await CustomerDirectory.open(store, db, { refreshMs: 0, logger });
    try {
      const before = directory.size;
      expect(directory.get('CUST-920')).toBeUndefined();
      const r = await directory.import([entry({ customerId: 'CUST-920', region: 'us-west' })], 'api:admin');
      expect(r.imported).toBe(1);
      expect(directory.get('CUST-920')).toMatchObject({ region: 'us-west', source: 'api:admin' });
      expect(directory.size).toBe(before + 1);
      expect(directory.all().map((c) => c.customerId)).toContain('CUST-920');
    } finally {
      directory.stop();
    }
  });

  it('picks up imports made elsewhere on its refresh timer', async () => {
    const directory = await CustomerDirectory.open(store, db, { refreshMs: 50, logger });
    try {
      await importCustomers(store, db, [entry({ customerId: 'CUST-921', tier: 'tier2' })], 'other-process');
      const seen = await waitFor('the refresh to see CUST-921', () => directory.get('CUST-921'));
      expect(seen.tier).toBe('tier2');
    } finally {
      directory.stop();
    }
  });
});

describe('start-up files', () => {
  it("loads the simulator's customers file into the directory", async () => {
    const parsed = await loadCustomersFile(path.join(repoRoot, 'app/simulator/directory/customers.ndjson'));
    expect(parsed.entries).toHaveLength(40);
    expect(parsed.source).toBe('file:customers.ndjson');
    const directory = await CustomerDirectory.open(store, db, { refreshMs: 0, logger });
    try {
      await directory.import(parsed.entries, parsed.source);
      expect(directory.get('CUST-005')).toMatchObject({ tier: 'tier1', ownerUserId: 'owner-ana' });
    } finally {
      directory.stop();
    }
  });

  it('a customers file with a rejected line fails start-up with a ConfigError naming the key, line and field', async () => {
    const file = path.join(data.dir, 'bad.csv');
    writeFileSync(
      file,
      'customerId,crmAccountId,ownerUserId,region,tier\nC1,001A,ana,us-midwest,tier1\nC2,001B,ana,us-midwest,platinum\n',
    );
    const err = await loadCustomersFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({
      key: 'DOCKSIDE_CUSTOMERS_FILE',
      message: expect.stringContaining('line 3: tier: got "platinum", expected one of tier1, tier2, tier3'),
    });
    const missing = await loadCustomersFile(path.join(data.dir, 'nope.csv')).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      key: 'DOCKSIDE_CUSTOMERS_FILE',
      message: expect.stringContaining('cannot be read'),
    });
  });

  it('the users file: get, withRole, all; empty without a file; a bad line is a ConfigError', async () => {
    const { users } = await UserDirectory.fromFile(
      path.join(repoRoot, 'app/simulator/directory/users.ndjson'),
    );
    expect(users.get('owner-ana')?.name).toBe('Ana Owner');
    expect(
      users
        .withRole('revops_manager')
        .map((u) => u.userId)
        .sort(),
    ).toEqual(['revops-raj', 'revops-rita']);
    expect(users.all().length).toBe(users.size);
    expect(users.crmOwners().get('005DK0000000001YAA')).toBe('owner-ana');
    const empty = await UserDirectory.fromFile(undefined);
    expect(empty.users.size).toBe(0);
    expect(empty.users.withRole('admin')).toEqual([]);
    const bad = path.join(data.dir, 'users.ndjson');
    writeFileSync(bad, '{"userId":"u1"}\n');
    await expect(UserDirectory.fromFile(bad)).rejects.toMatchObject({
      key: 'DOCKSIDE_USERS_FILE',
      message: expect.stringContaining('line 1: name: got (missing), expected a value (required)'),
    });
  });
});

describe('GET and POST /api/customers', () => {
  let app: FastifyInstance;
  let directory: CustomerDirectory;

  beforeAll(async () => {
    directory = await CustomerDirectory.open(store, db, { refreshMs: 0, logger });
    const { users } = await UserDirectory.fromFile(
      path.join(repoRoot, 'app/simulator/directory/users.ndjson'),
    );
    app = Fastify();
    registerErrorHandler(app, { bodyLimit: 1_048_576, routes: () => [] });
    // Another module's NDJSON parser on the root (as POST /api/events has): the routes must still work.
    app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) =>
      done(null, { other: String(body) }),
    );
    registerCustomerRoutes(app, { directory, users, actorOf: () => 'admin' });
    await directory.import(
      [
        entry({
          customerId: 'CUST-930',
          name: 'Acme',
          ownerEmail: 'ana.owner@example.com',
          contactEmail: 'jane@example.com',
        }),
      ],
      'test',
    );
  });
  afterAll(async () => {
    directory.stop();
    await app.close();
  });

  it("answers the entry with its owner's name, and a contact's e-mail only as hasContactEmail", async () => {
    const res = await app.inject({ method: 'GET', url: '/api/customers/CUST-930' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      customerId: 'CUST-930',
      crmAccountId: '001DK0000000900YAA',
      ownerUserId: 'owner-ana',
      ownerName: 'Ana Owner',
      region: 'us-midwest',
      tier: 'tier1',
      name: 'Acme',
      hasContactEmail: true,
      source: 'test',
    });
    expect(body).not.toHaveProperty('contactEmail');
    expect(res.body).not.toContain('jane@example.com');
  });

  it("answers 404 CUSTOMER_NOT_FOUND in the API's error body", async () => {
    const res = await app.inject({ method: 'GET', url: '/api/customers/CUST-404' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: {
        code: 'CUSTOMER_NOT_FOUND',
        message: expect.stringContaining('CUST-404'),
        issues: [{ field: 'id', value: 'CUST-404' }],
      },
      requestId: expect.any(String),
    });
  });

  it('imports NDJSON, CSV and a JSON array; answers 207 with the rejects when some lines are bad', async () => {
    const nd = await app.inject({
      method: 'POST',
      url: '/api/customers',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify(entry({ customerId: 'CUST-940' }))}\n`,
    });
    expect(nd.statusCode).toBe(200);
    expect(nd.json()).toMatchObject({ imported: 1, rejected: 0, rejects: [] });
    expect(directory.get('CUST-940')?.source).toBe('api:admin');

    const csv = await app.inject({
      method: 'POST',
      url: '/api/customers',
      headers: { 'content-type': 'text/csv; charset=utf-8' },
      payload:
        'customerId,crmExternalId,ownerUserId,region,tier\r\nCUST-941,CUST-941,owner-ben,us-southeast,tier2\r\nCUST-942,CUST-942,owner-ben,us-southeast,tier7\r\n',
    });
    expect(csv.statusCode).toBe(207);
    expect(csv.json()).toMatchObject({
      imported: 1,
      rejected: 1,
      rejects: [{ line: 3, field: 'tier', value: '"tier7"' }],
    });
    expect(directory.get('CUST-941')?.tier).toBe('tier2');

    const arr = await app.inject({
      method: 'POST',
      url: '/api/customers',
      payload: [entry({ customerId: 'CUST-943' })],
    });
    expect(arr.statusCode).toBe(200);
    expect(directory.get('CUST-943')).toBeDefined();
  });

  it('answers 400 and imports nothing when every line is rejected, or any line with ?strict=true', async () => {
    const all = await app.inject({
      method: 'POST',
      url: '/api/customers',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"customerId":"CUST-950"}\n',
    });
    expect(all.statusCode).toBe(400);
    expect(all.json()).toMatchObject({ imported: 0, error: { code: 'CUSTOMERS_REJECTED' } });
    const strict = await app.inject({
      method: 'POST',
      url: '/api/customers?strict=true',
      payload: [entry({ customerId: 'CUST-951' }), { customerId: 'CUST-952' }],
    });
    expect(strict.statusCode).toBe(400);
    expect(strict.json()).toMatchObject({ imported: 0, rejected: expect.any(Number) });
    expect(directory.get('CUST-951')).toBeUndefined();
    const empty = await app.inject({
      method: 'POST',
      url: '/api/customers',
      headers: { 'content-type': 'text/csv' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
  });
});
