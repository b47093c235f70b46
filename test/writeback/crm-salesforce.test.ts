import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type SalesforceConfig } from '../../core/mod.ts';
import { apiFieldName } from '../../writeback/crm/fields.ts';
import { SalesforceAdapter } from '../../writeback/crm/salesforce.ts';
import { parseLimitInfo } from '../../writeback/crm/salesforce-errors.ts';
import { CircuitBreaker, CircuitOpenError } from '../../writeback/delivery/breaker.ts';
import { withRetry } from '../../writeback/delivery/retry.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';
import { SalesforceContract } from '../contract/salesforce.ts';

let sf: SalesforceContract;
let config: SalesforceConfig;
let acme: string;

/** The adapter's config as `dockside` builds it from the environment. */
function configFor(env: Record<string, string>): SalesforceConfig {
  const c = loadConfig({}, env).writeback.salesforce;
  if (!c) throw new Error('salesforce config missing');
  return c;
}

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected the call to fail');
  return err;
};

beforeAll(async () => {
  sf = await SalesforceContract.start({ pageSize: 2 });
  config = configFor(sf.env());
});
afterAll(() => sf.close());
beforeEach(() => {
  sf.clearFaults();
  acme = sf.insert('Account', {
    Name: 'Acme Freight',
    Dockside_Customer_Id__c: `C-${Math.random()}`,
    Region__c: 'EU',
  });
});

describe('field names', () => {
  it('maps policy names by the map first, else by the custom field convention', () => {
    expect(apiFieldName('ops_risk_level')).toBe('Ops_Risk_Level__c');
    expect(apiFieldName('ops_risk_level', { ops_risk_level: 'Risk__c' })).toBe('Risk__c');
    expect(apiFieldName('Name')).toBe('Name');
    expect(() => apiFieldName('ops risk')).toThrow(/"ops risk" is not usable/);
  });

  it('reads Sforce-Limit-Info', () => {
    expect(parseLimitInfo('api-usage=25/5000; per-app-api-usage=17/250(appName=x)')).toEqual({
      used: 25,
      max: 5000,
    });
    expect(parseLimitInfo(null)).toBeUndefined();
  });
});

describe('SalesforceAdapter against the Salesforce contract server', () => {
  it('reads and writes policy fields by record id with their API names', async () => {
    const usage: Array<[number, number]> = [];
    const crm = new SalesforceAdapter(config, { onLimitInfo: (u, m) => usage.push([u, m]) });
    expect(await crm.readFields({ id: acme }, ['ops_risk_level', 'ops_risk_reason'])).toEqual({
      ops_risk_level: null,
      ops_risk_reason: null,
    });
    await crm.writeFields({ id: acme }, { ops_risk_level: 'high', ops_risk_reason: 'late_scan' }, 'w-1');
    expect(sf.patches.at(-1)).toMatchObject({
      object: 'Account',
      id: acme,
      body: { Ops_Risk_Level__c: 'high', Ops_Risk_Reason__c: 'late_scan' },
    });
    expect(sf.appliedChanges(acme)).toBe(1);
    expect(await crm.readFields({ id: acme }, ['ops_risk_level', 'ops_risk_reason'])).toEqual({
      ops_risk_level: 'high',
      ops_risk_reason: 'late_scan',
    });
    expect(usage.length).toBe(3);
    expect(usage[2]?.[0]).toBeGreaterThan(usage[0]?.[0] ?? Infinity);
    expect(usage[0]?.[1]).toBe(15_000);
  });

  it('addresses an account by external id, patching the record id and never creating one', async () => {
    const ext = String(sf.record('Account', acme)?.Dockside_Customer_Id__c);
    const crm = new SalesforceAdapter(config);
    const before = sf.accounts().length;
    await crm.writeFields({ externalId: ext }, { ops_risk_level: 'medium' }, 'w-2');
    expect(sf.patches.at(-1)).toMatchObject({ id: acme, created: false });
    expect(await crm.readFields({ externalId: ext }, ['ops_risk_level'])).toEqual({
      ops_risk_level: 'medium',
    });
    const missing = await failure(
      crm.writeFields({ externalId: 'no-such-customer' }, { ops_risk_level: 'x' }, 'w-3'),
    );
    expect(missing).toBeInstanceOf(TargetRejectedError);
    expect((missing as TargetRejectedError).code).toBe('NOT_FOUND');
    expect(sf.accounts().length).toBe(before);
  });

  it('gets a token once, and after expiry re-authenticates exactly once (also under concurrency)', async () => {
    const crm = new SalesforceAdapter(config);
    const issued = sf.tokensIssued;
    await crm.readFields({ id: acme }, ['ops_risk_level']);
    await crm.readFields({ id: acme }, ['ops_risk_level']);
    expect(sf.tokensIssued).toBe(issued + 1);

    sf.expireTokens();
    const from = sf.requests.length;
    expect(await crm.readFields({ id: acme }, ['ops_risk_level'])).toEqual({ ops_risk_level: null });
    expect(sf.tokensIssued).toBe(issued + 2);
    expect(sf.requests.slice(from).map((r) => [r.method, r.status])).toEqual([
      ['GET', 401],
      ['POST', 200],
      ['GET', 200],
    ]);

    sf.expireTokens();
    await Promise.all([1, 2, 3, 4, 5].map(() => crm.readFields({ id: acme }, ['ops_risk_level'])));
    expect(sf.tokensIssued).toBe(issued + 3);
  });

  it('refuses for good with the token error when the client is wrong, without echoing the secret', async () => {
    const crm = new SalesforceAdapter({ ...config, clientSecret: 'wrong-secret-value' });
    const err = await failure(crm.readFields({ id: acme }, ['ops_risk_level']));
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect((err as TargetRejectedError).code).toBe('invalid_client');
    expect((err as Error).message).toMatch(/invalid client credentials/);
    expect((err as Error).message).not.toContain('wrong-secret-value');
  });

  it('names the field of an INVALID_FIELD rejection and changes nothing', async () => {
    const crm = new SalesforceAdapter(config);
    const err = await failure(crm.writeFields({ id: acme }, { ops_risk_levl: 'high' }, 'w-4'));
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ code: 'INVALID_FIELD', status: 400 });
    expect((err as Error).message).toContain("No such column 'Ops_Risk_Levl__c'");
    expect((err as Error).message).toContain('policy field ops_risk_levl → Ops_Risk_Levl__c');
    expect(sf.appliedChanges(acme)).toBe(0);
    const read = await failure(crm.readFields({ id: acme }, ['no_such_field']));
    expect(read).toMatchObject({ code: 'INVALID_FIELD', status: 400 });
  });

  it('rejects an unknown record id as NOT_FOUND', async () => {
    const crm = new SalesforceAdapter(config);
    const err = await failure(crm.readFields({ id: '001000000000ZZZZZZ' }, ['ops_risk_level']));
    expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(err).toBeInstanceOf(TargetRejectedError);
  });

  it('gets through 503s for a few requests with withRetry, applying the write once', async () => {
    const crm = new SalesforceAdapter(config);
    await crm.readFields({ id: acme }, ['ops_risk_level']); // token first: the faults hit the write
    sf.failFor({ status: 503, count: 3 });
    const errors: unknown[] = [];
    const delays: number[] = [];
    await withRetry(() => crm.writeFields({ id: acme }, { ops_risk_level: 'high' }, 'w-5'), {
      attempts: 5,
      baseMs: 10,
      maxMs: 100,
      onAttempt: (a) => errors.push(a.error),
      sleep: async (ms) => void delays.push(ms),
    });
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toMatchObject({ status: 503, target: 'salesforce' });
    expect(errors[0]).toBeInstanceOf(TargetUnavailableError);
    expect((errors[0] as Error).message).toContain('SERVER_UNAVAILABLE');
    expect(delays).toHaveLength(3);
    expect(sf.appliedChanges(acme)).toBe(1);
  });

  it('treats REQUEST_LIMIT_EXCEEDED as "later" and waits what Retry-After says', async () => {
    const crm = new SalesforceAdapter(config);
    await crm.readFields({ id: acme }, ['ops_risk_level']);
    sf.failFor({ status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED', count: 1, retryAfterSec: 7 });
    const delays: number[] = [];
    let first: unknown;
    await withRetry(() => crm.writeFields({ id: acme }, { ops_risk_level: 'low' }, 'w-6'), {
      attempts: 3,
      baseMs: 10,
      maxMs: 60_000,
      onAttempt: (a) => {
        first ??= a.error;
      },
      sleep: async (ms) => void delays.push(ms),
    });
    expect(first).toBeInstanceOf(TargetUnavailableError);
    expect(first).toMatchObject({ status: 403, retryAfterMs: 7_000 });
    expect(delays).toEqual([7_000]);
    expect(sf.record('Account', acme)?.Ops_Risk_Level__c).toBe('low');
  });

  it('reports a lost response as unavailable while the server applied the PATCH once', async () => {
    const crm = new SalesforceAdapter(config);
    await crm.readFields({ id: acme }, ['ops_risk_level']);
    sf.dropResponseAfterApply(1);
    const err = await failure(crm.writeFields({ id: acme }, { ops_risk_level: 'high' }, 'w-7'));
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(sf.appliedChanges(acme)).toBe(1);
    expect(sf.requests.at(-1)).toMatchObject({ method: 'PATCH', dropped: true });
    // What the pipeline does before repeating a write: read it back.
    expect(await crm.readFields({ id: acme }, ['ops_risk_level'])).toEqual({ ops_risk_level: 'high' });
  });

  it('lets a test act between applying a write and answering it (onApply)', async () => {
    const crm = new SalesforceAdapter(config);
    const seen: Array<[string, unknown]> = [];
    sf.onApply = (entry) => {
      seen.push([entry.id, sf.record('Account', entry.id)?.Ops_Risk_Level__c]);
    };
    try {
      await crm.writeFields({ id: acme }, { ops_risk_level: 'medium' }, 'w-8');
    } finally {
      sf.onApply = undefined;
    }
    expect(seen).toEqual([[acme, 'medium']]);
  });

  it('opens the circuit after consecutive 503s and then stops calling Salesforce', async () => {
    const crm = new SalesforceAdapter(config);
    await crm.readFields({ id: acme }, ['ops_risk_level']);
    const breaker = new CircuitBreaker('salesforce', { failures: 2, cooldownMs: 60_000 });
    sf.failFor({ status: 500, durationMs: 60_000 });
    for (let i = 0; i < 2; i++) {
      await expect(breaker.run(() => crm.readFields({ id: acme }, ['ops_risk_level']))).rejects.toMatchObject(
        {
          status: 500,
        },
      );
    }
    const sent = sf.requests.length;
    await expect(breaker.run(() => crm.readFields({ id: acme }, ['ops_risk_level']))).rejects.toBeInstanceOf(
      CircuitOpenError,
    );
    expect(sf.requests.length).toBe(sent);
    expect(breaker.state()).toBe('open');
  });

  it('upserts a task by its key: twice makes one task on the account', async () => {
    const crm = new SalesforceAdapter(config);
    const task = {
      key: `act-${acme}`,
      subject: 'Call Acme about late scans',
      description: 'Evidence: e1, e2',
    };
    const a = await crm.upsertTask({ id: acme }, { ...task, priority: 'High', activityDate: '2025-03-01' });
    const b = await crm.upsertTask({ id: acme }, task);
    expect(b.id).toBe(a.id);
    const tasks = sf.tasks().filter((t) => t.Dockside_Action_Id__c === task.key);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ Id: a.id, WhatId: acme, Subject: task.subject, Status: 'Not Started' });

    // Before API v46.0 an update by external id answers 204 without a body: the id is read back.
    const old = new SalesforceAdapter({ ...config, apiVersion: 'v45.0' });
    const ext = String(sf.record('Account', acme)?.Dockside_Customer_Id__c);
    expect((await old.upsertTask({ externalId: ext }, task)).id).toBe(a.id);
    expect(sf.tasks().filter((t) => t.Dockside_Action_Id__c === task.key)).toHaveLength(1);
  });

  it('lists accounts with SOQL, following nextRecordsUrl across pages', async () => {
    for (let i = 0; i < 4; i++)
      sf.insert('Account', { Name: `Listed ${i}`, Region__c: 'APAC', Dockside_Customer_Id__c: `L-${i}` });
    const crm = new SalesforceAdapter(config);
    const from = sf.requests.length;
    const all = await crm.listAccounts();
    expect(all.length).toBe(sf.accounts().length);
    const pages = Math.ceil(all.length / 2);
    expect(sf.requests.slice(from).filter((r) => r.url.includes('/query')).length).toBe(pages);
    expect(all.find((a) => a.externalId === 'L-3')).toMatchObject({
      name: 'Listed 3',
      fields: { Name: 'Listed 3' },
    });

    const apac = await crm.listAccounts(
      "SELECT Id, Name, Dockside_Customer_Id__c FROM Account WHERE Region__c = 'APAC' ORDER BY Name DESC",
    );
    expect(apac.map((a) => a.name)).toEqual(['Listed 3', 'Listed 2', 'Listed 1', 'Listed 0']);
    await expect(crm.listAccounts('SELECT Name FROM Account')).rejects.toMatchObject({
      code: 'QUERY_WITHOUT_ID',
    });
    await expect(crm.listAccounts('SELECT Id FROM Account WHERE')).rejects.toMatchObject({
      code: 'MALFORMED_QUERY',
    });
  });
});

describe('network failures', () => {
  it('turns a refused connection and a timeout into TargetUnavailableError', async () => {
    const hang = http.createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as AddressInfo).port;
    try {
      const slow = new SalesforceAdapter(
        configFor({ ...sf.env(), SALESFORCE_INSTANCE_URL: `http://127.0.0.1:${port}` }),
        {
          timeoutMs: 150,
        },
      );
      const timedOut = await failure(slow.readFields({ id: acme }, ['ops_risk_level']));
      expect(timedOut).toBeInstanceOf(TargetUnavailableError);
      expect((timedOut as Error).message).toMatch(/timed out after 150 ms/);
    } finally {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
    const gone = new SalesforceAdapter(
      configFor({ ...sf.env(), SALESFORCE_INSTANCE_URL: `http://127.0.0.1:${port}` }),
    );
    const refused = await failure(gone.readFields({ id: acme }, ['ops_risk_level']));
    expect(refused).toBeInstanceOf(TargetUnavailableError);
    expect((refused as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe('the Salesforce contract server', () => {
  it('answers in Salesforce error shape with Sforce-Limit-Info, e.g. for malformed JSON', async () => {
    const token = await fetch(`${sf.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sf.clientId,
        client_secret: sf.clientSecret,
      }),
    }).then((r) => r.json() as Promise<{ access_token: string; token_type: string; signature: string }>);
    expect(token.token_type).toBe('Bearer');
    const res = await fetch(`${sf.url}/services/data/v62.0/sobjects/Account/${acme}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' },
      body: '{"Name": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/15000$/);
    expect(await res.json()).toEqual([
      { errorCode: 'JSON_PARSER_ERROR', message: expect.any(String), fields: [] },
    ]);
    const anon = await fetch(`${sf.url}/services/data/v62.0/sobjects/Account/${acme}`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual([
      { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid', fields: [] },
    ]);
  });
});
