import { z } from 'zod';
import type { SalesforceConfig } from '../../core/mod.ts';
import { type CallOptions, readJson, send } from '../delivery/http.ts';
import { TargetRejectedError } from '../errors.ts';
import type { AccountRef, CrmAccountRecord, CrmAdapter, CrmTask, FieldValue } from './adapter.ts';
import { fieldNames, fieldValueSchema } from './fields.ts';
import { parseLimitInfo, salesforceError } from './salesforce-errors.ts';
import { SalesforceTokens } from './salesforce-token.ts';

const TARGET = 'salesforce';

export interface SalesforceOptions {
  /** Per request; 10 s by default. */
  readonly timeoutMs?: number;
  /** Reports `Sforce-Limit-Info: api-usage=used/max` after every API call (metrics, a warning near the cap). */
  readonly onLimitInfo?: (used: number, max: number) => void;
  /** Cancels requests in flight (shutdown). */
  readonly signal?: AbortSignal;
}

const recordSchema = z.looseObject({ Id: z.string().optional() });
const upsertSchema = z.object({ id: z.string().min(1), success: z.boolean().optional() });
const querySchema = z.object({
  totalSize: z.number(),
  done: z.boolean(),
  records: z.array(z.looseObject({ Id: z.string().optional() })),
  nextRecordsUrl: z.string().optional(),
});

/** Task text limits of the Task object (Subject 255, Description 32 000); longer text would be refused. */
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** A guard against a server that keeps returning nextRecordsUrl. */
const MAX_PAGES = 10_000;

/**
 * The Salesforce REST adapter (sObject rows by id / external id, Task upsert, SOQL query), over global
 * fetch with the OAuth 2.0 client-credentials flow: the token is cached and, on a 401 (INVALID_SESSION_ID),
 * fetched again once and the call repeated. API calls go to the configured instance URL, never to the
 * token response's instance_url, so a token answer cannot redirect the bearer token elsewhere.
 *
 * Writes are plain PATCHes of absolute values: repeating one is harmless, and the pipeline reads the
 * fields back before repeating a write whose answer was lost (Salesforce has no idempotency header).
 */
export class SalesforceAdapter implements CrmAdapter {
  readonly target = TARGET;
  private readonly tokens: SalesforceTokens;
  private readonly base: string;
  private readonly call: CallOptions;
  /** Account external id → record id, learnt once (the mapping does not change). */
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly config: SalesforceConfig,
    private readonly options: SalesforceOptions = {},
  ) {
    this.call = {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    this.tokens = new SalesforceTokens(config, this.call);
    this.base = `/services/data/${config.apiVersion}`;
  }

  async readFields(account: AccountRef, fields: readonly string[]): Promise<Record<string, FieldValue>> {
    if (fields.length === 0) return {};
    const names = fieldNames(fields, this.config.fieldMap);
    const query = `?fields=${names.map(([, api]) => encodeURIComponent(api)).join(',')}`;
    const what = 'read Account fields';
    const res = await this.request('GET', `${this.accountPath(account)}${query}`, undefined, what, names);
    const record = await readJson(TARGET, res, recordSchema, what);
    if (record.Id && account.externalId && !account.id) this.ids.set(account.externalId, record.Id);
    const out: Record<string, FieldValue> = {};
    for (const [policy, api] of names) {
      const v = fieldValueSchema.safeParse(record[api] ?? null);
      if (!v.success) {
        throw new TargetRejectedError(
          TARGET,
          'UNSUPPORTED_FIELD_TYPE',
          `${api} is not a scalar field (policy field ${policy})`,
        );
      }
      out[policy] = v.data;
    }
    return out;
  }

  async writeFields(
    account: AccountRef,
    values: Readonly<Record<string, FieldValue>>,
    _idempotencyKey: string,
  ): Promise<void> {
    const names = fieldNames(Object.keys(values), this.config.fieldMap);
    if (names.length === 0) return;
    const body = Object.fromEntries(names.map(([policy, api]) => [api, values[policy] ?? null]));
    const id = await this.recordId(account);
    await this.request(
      'PATCH',
      `${this.base}/sobjects/Account/${encodeURIComponent(id)}`,
      body,
      'write Account fields',
      names,
    );
  }

  async upsertTask(account: AccountRef, task: CrmTask): Promise<{ id: string }> {
    const whatId = await this.recordId(account);
    const field = this.config.taskExternalIdField;
    const path = `${this.base}/sobjects/Task/${encodeURIComponent(field)}/${encodeURIComponent(task.key)}`;
    const body = {
      WhatId: whatId,
      Subject: clip(task.subject, 255),
      Description: clip(task.description, 32_000),
      Status: 'Not Started',
      ...(task.priority ? { Priority: task.priority } : {}),
      ...(task.activityDate ? { ActivityDate: task.activityDate } : {}),
    };
    const what = 'upsert Task';
    const res = await this.request('PATCH', path, body, what, [['task key', field]]);
    if (res.status !== 204) return { id: (await readJson(TARGET, res, upsertSchema, what)).id };
    // Before API v46.0 an update by external id answers 204 without the id: read it.
    const got = await this.request('GET', `${path}?fields=Id`, undefined, 'read Task id');
    const id = (await readJson(TARGET, got, recordSchema, 'read Task id')).Id;
    if (!id) throw new TargetRejectedError(TARGET, 'UNEXPECTED_RESPONSE', 'Task read answered without Id');
    return { id };
  }

  /** Accounts for the customer directory; follows nextRecordsUrl until done. The query must select Id. */
  async listAccounts(soql?: string): Promise<CrmAccountRecord[]> {
    const ext = this.config.accountExternalIdField;
    const q = soql ?? `SELECT Id, Name, OwnerId${ext ? `, ${ext}` : ''} FROM Account`;
    const out: CrmAccountRecord[] = [];
    let path: string | undefined = `${this.base}/query?q=${encodeURIComponent(q)}`;
    for (let page = 0; path; page++) {
      if (page >= MAX_PAGES) {
        throw new TargetRejectedError(
          TARGET,
          'TOO_MANY_PAGES',
          `query kept paginating past ${MAX_PAGES} pages`,
        );
      }
      const res = await this.request('GET', path, undefined, 'query Accounts');
      const result = await readJson(TARGET, res, querySchema, 'query Accounts');
      for (const r of result.records) out.push(this.toAccount(r));
      path = result.done ? undefined : result.nextRecordsUrl;
    }
    return out;
  }

  private toAccount(r: Record<string, unknown> & { Id?: string | undefined }): CrmAccountRecord {
    if (!r.Id) {
      throw new TargetRejectedError(TARGET, 'QUERY_WITHOUT_ID', 'the Account query must select Id');
    }
    const ext = this.config.accountExternalIdField;
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'attributes' || k === 'Id') continue;
      const scalar = fieldValueSchema.safeParse(v);
      if (scalar.success) fields[k] = scalar.data; // relationship objects (Owner.Name…) are left out
    }
    const str = (v: FieldValue | undefined) => (typeof v === 'string' && v.length > 0 ? v : undefined);
    const externalId = ext ? str(fields[ext]) : undefined;
    const name = str(fields.Name);
    const ownerId = str(fields.OwnerId);
    return {
      id: r.Id,
      ...(externalId ? { externalId } : {}),
      ...(name ? { name } : {}),
      ...(ownerId ? { ownerId } : {}),
      fields,
    };
  }

  private accountPath(account: AccountRef): string {
    if (account.id) return `${this.base}/sobjects/Account/${encodeURIComponent(account.id)}`;
    const field = this.config.accountExternalIdField;
    if (account.externalId && field) {
      return `${this.base}/sobjects/Account/${encodeURIComponent(field)}/${encodeURIComponent(account.externalId)}`;
    }
    throw new TargetRejectedError(
      TARGET,
      'ACCOUNT_UNADDRESSABLE',
      account.externalId
        ? 'the customer has only an external id and SALESFORCE_ACCOUNT_EXTERNAL_ID_FIELD is not set'
        : 'the customer has neither a Salesforce account id nor an external id',
    );
  }

  /**
   * The record id of the account. PATCH by external id would be an upsert (it would create an Account
   * when none matches), so an account known only by external id is looked up first, then patched by id.
   */
  private async recordId(account: AccountRef): Promise<string> {
    if (account.id) return account.id;
    const known = account.externalId ? this.ids.get(account.externalId) : undefined;
    if (known) return known;
    const res = await this.request(
      'GET',
      `${this.accountPath(account)}?fields=Id`,
      undefined,
      'find Account',
    );
    const id = (await readJson(TARGET, res, recordSchema, 'find Account')).Id;
    if (!id)
      throw new TargetRejectedError(TARGET, 'UNEXPECTED_RESPONSE', 'Account lookup answered without Id');
    if (account.externalId) this.ids.set(account.externalId, id);
    return id;
  }

  /** One API call with the cached token; a 401 refreshes the token once and repeats the call. */
  private async request(
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    body: unknown,
    what: string,
    names: ReadonlyArray<readonly [string, string]> = [],
  ): Promise<Response> {
    const url = `${this.config.instanceUrl}${path}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get();
      const headers: Record<string, string> = {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
      };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await send(
        TARGET,
        url,
        { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
        this.call,
      );
      const limit = parseLimitInfo(res.headers.get('sforce-limit-info'));
      if (limit) this.options.onLimitInfo?.(limit.used, limit.max);
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.tokens.invalidate(token);
        continue;
      }
      if (res.ok) return res;
      throw await salesforceError(res, what, names);
    }
  }
}
