import type http from 'node:http';
import {
  Drops,
  type FaultSpec,
  Faults,
  type LoggedRequest,
  parseJson,
  type RunningServer,
  readBody,
  sendJson,
  startServer,
} from './http-util.ts';
import { tokenEndpoint } from './salesforce-oauth.ts';
import {
  canonicalField,
  defaultObjects,
  ID_PATTERN,
  missingRequired,
  newId,
  type ObjectDef,
  type SfError,
  type SfRecord,
  sfError,
  validateWrite,
} from './salesforce-objects.ts';
import { QueryEndpoint } from './salesforce-query.ts';

/**
 * A local server written to Salesforce's published REST API contract (tests and the bench only):
 * OAuth 2.0 client-credentials token endpoint; sObject rows GET/PATCH by id and by external id (upsert),
 * POST create; SOQL query with nextRecordsUrl pagination; errors as `[{message, errorCode, fields}]`;
 * `Sforce-Limit-Info: api-usage=N/M` on every API answer. Controls let a test make it fail (503, 500,
 * 403 REQUEST_LIMIT_EXCEEDED), expire tokens, or apply a write and drop the connection (a lost response).
 */

export interface SalesforceServerOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Records per query page (Salesforce's default batch is 2000). */
  readonly pageSize?: number;
  /** The org's daily API limit shown in Sforce-Limit-Info. */
  readonly apiLimit?: number;
  readonly objects?: Readonly<Record<string, ObjectDef>>;
}

export interface PatchEntry {
  readonly at: number;
  readonly object: string;
  readonly id: string;
  readonly body: unknown;
  readonly created: boolean;
}

type Fault = FaultSpec<503 | 500 | 403, 'REQUEST_LIMIT_EXCEEDED' | 'SERVER_UNAVAILABLE'>;

const FAULT_BODY: Record<string, SfError> = {
  REQUEST_LIMIT_EXCEEDED: sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
  SERVER_UNAVAILABLE: sfError(
    'SERVER_UNAVAILABLE',
    'Server unavailable: the org is undergoing maintenance. Try again later.',
  ),
  UNKNOWN_EXCEPTION: sfError(
    'UNKNOWN_EXCEPTION',
    'An unexpected error occurred. Please include this ErrorId if you contact support.',
  ),
  INSUFFICIENT_ACCESS: sfError('INSUFFICIENT_ACCESS', 'insufficient access rights on object id'),
};
/** The body of a scripted failure: its errorCode when given, else the status's usual one. */
const faultBody = (f: Fault): SfError =>
  FAULT_BODY[
    f.errorCode ??
      (f.status === 503
        ? 'SERVER_UNAVAILABLE'
        : f.status === 500
          ? 'UNKNOWN_EXCEPTION'
          : 'INSUFFICIENT_ACCESS')
  ] as SfError;

export class SalesforceContract {
  readonly requests: LoggedRequest[] = [];
  readonly patches: PatchEntry[] = [];
  readonly clientId: string;
  readonly clientSecret: string;
  tokensIssued = 0;
  apiCalls = 0;
  private readonly tokens = new Set<string>();
  private readonly faults = new Faults<Fault['status'], NonNullable<Fault['errorCode']>>();
  private readonly drops = new Drops();
  private readonly data = new Map<string, Map<string, SfRecord>>();
  private readonly applied = new Map<string, number>();
  private readonly queries: QueryEndpoint;
  private readonly objects: Readonly<Record<string, ObjectDef>>;
  private seq = 0;
  private server: RunningServer | undefined;

  private constructor(private readonly options: SalesforceServerOptions) {
    this.clientId = options.clientId ?? 'dockside-test-client';
    this.clientSecret = options.clientSecret ?? 'dockside-test-secret';
    this.objects = options.objects ?? defaultObjects;
    for (const name of Object.keys(this.objects)) this.data.set(name, new Map());
    this.queries = new QueryEndpoint(
      this.objects,
      (o) => [...this.table(o).values()],
      options.pageSize ?? 2_000,
    );
  }

  static async start(options: SalesforceServerOptions = {}): Promise<SalesforceContract> {
    const sf = new SalesforceContract(options);
    sf.server = await startServer((req, res) => sf.handle(req, res));
    return sf;
  }

  get url(): string {
    if (!this.server) throw new Error('Salesforce contract server not started');
    return this.server.url;
  }

  /** Environment for loadConfig: point Dockside at this server. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      SALESFORCE_INSTANCE_URL: this.url,
      SALESFORCE_CLIENT_ID: this.clientId,
      SALESFORCE_CLIENT_SECRET: this.clientSecret,
      SALESFORCE_ACCOUNT_EXTERNAL_ID_FIELD: 'Dockside_Customer_Id__c',
      ...extra,
    };
  }

  // --- controls -------------------------------------------------------------------------------------

  failFor(spec: Fault): void {
    this.faults.set(spec);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  /** Every issued token becomes invalid (the next API call answers 401 INVALID_SESSION_ID). */
  expireTokens(): void {
    this.tokens.clear();
  }
  /** The next n writes (PATCH/POST) are applied, then the connection is destroyed without an answer. */
  dropResponseAfterApply(n: number): void {
    this.drops.set(n);
  }

  /**
   * Called after a write is applied and before it is answered (awaited): a test can kill the client
   * process here to leave a write applied but unacknowledged.
   */
  onApply: ((entry: PatchEntry) => Promise<void> | void) | undefined;

  /** Creates a record directly (test set-up); returns its id. */
  insert(object: string, fields: SfRecord): string {
    const def = this.def(object);
    const id = newId(def, ++this.seq);
    this.table(object).set(id, { ...def.defaults, ...fields, Id: id });
    return id;
  }
  record(object: string, id: string): SfRecord | undefined {
    const r = this.find(object, id);
    return r ? { ...r } : undefined;
  }
  accounts(): SfRecord[] {
    return [...this.table('Account').values()].map((r) => ({ ...r }));
  }
  tasks(): SfRecord[] {
    return [...this.table('Task').values()].map((r) => ({ ...r }));
  }
  /** Applied updates (PATCH by id or upsert of an existing record) of one Account, whatever they changed. */
  appliedChanges(accountId: string): number {
    return this.applied.get(accountId) ?? 0;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  // --- HTTP -----------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const log = (status: number, dropped = false) =>
      this.requests.push({
        at: Date.now(),
        method,
        url: req.url ?? '/',
        status,
        ...(dropped ? { dropped } : {}),
      });
    if (url.pathname === '/services/oauth2/token') {
      const out = tokenEndpoint(method, req.headers['content-type'], body, this);
      if (out.token) {
        this.tokens.add(out.token);
        this.tokensIssued++;
      }
      log(out.status);
      return sendJson(res, out.status, out.body);
    }
    const api = /^\/services\/data\/(v\d+\.\d)(\/.*)$/.exec(url.pathname);
    const limit = { 'Sforce-Limit-Info': `api-usage=${++this.apiCalls}/${this.options.apiLimit ?? 15_000}` };
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log(status);
      sendJson(res, status, payload, { ...limit, ...headers });
    };
    const fault = this.faults.take();
    if (fault) {
      const retry: Record<string, string> =
        fault.retryAfterSec !== undefined ? { 'Retry-After': String(fault.retryAfterSec) } : {};
      return answer(fault.status, [faultBody(fault)], retry);
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth?.[1] || !this.tokens.has(auth[1])) {
      return answer(401, [sfError('INVALID_SESSION_ID', 'Session expired or invalid')]);
    }
    if (!api) return answer(404, [sfError('NOT_FOUND', 'The requested resource does not exist')]);
    const version = api[1] as string;
    const parts = (api[2] as string).split('/').filter(Boolean).map(decodeURIComponent);
    const [status, payload] =
      parts[0] === 'query'
        ? this.queries.answer(version, parts[1], url.searchParams.get('q'))
        : parts[0] === 'sobjects'
          ? this.sobject(version, method, parts.slice(1), url.searchParams.get('fields'), body)
          : [404, [sfError('NOT_FOUND', 'The requested resource does not exist')]];
    const wrote = (method === 'PATCH' || method === 'POST') && status < 300;
    const entry = this.patches.at(-1);
    if (wrote && entry && this.onApply) await this.onApply(entry);
    if (wrote && this.drops.take()) {
      log(status, true);
      res.socket?.destroy(); // applied, never answered: the client sees a reset
      return;
    }
    answer(status, payload);
  }

  private sobject(
    version: string,
    method: string,
    parts: string[],
    fieldsParam: string | null,
    body: string,
  ): [number, unknown] {
    const [object, first, second] = parts;
    const def = object ? this.objects[object] : undefined;
    if (!object || !def || parts.length > 3)
      return [404, [sfError('NOT_FOUND', 'The requested resource does not exist')]];
    const parsed = () => {
      const p = parseJson(body);
      return p.ok
        ? p
        : { ok: false as const, error: sfError('JSON_PARSER_ERROR', `Unexpected character: ${p.error}`) };
    };
    if (first === undefined) {
      if (method !== 'POST')
        return [
          405,
          [sfError('METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are HEAD,GET,POST`)],
        ];
      const p = parsed();
      if (!p.ok) return [400, [p.error]];
      return this.create(version, object, def, p.value, {});
    }
    // /sobjects/Obj/{id} or /sobjects/Obj/{ExternalField}/{value}
    let id: string | undefined;
    let ext: { field: string; value: string } | undefined;
    if (second === undefined) {
      id = ID_PATTERN.test(first) ? this.find(object, first)?.Id?.toString() : undefined;
    } else {
      const field = canonicalField(def, first);
      if (!field || (field !== 'Id' && !def.externalIds.includes(field))) {
        return [
          404,
          [sfError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${first}`)],
        ];
      }
      ext = { field, value: second };
      const hits = [...this.table(object).values()].filter((r) => String(r[field] ?? '') === second);
      if (hits.length > 1)
        return [300, hits.map((r) => `/services/data/${version}/sobjects/${object}/${r.Id}`)];
      id = hits[0]?.Id?.toString();
    }
    if (method === 'GET') {
      if (!id) return [404, [sfError('NOT_FOUND', 'The requested resource does not exist')]];
      return this.read(version, object, def, id, fieldsParam);
    }
    if (method !== 'PATCH') {
      return [
        405,
        [
          sfError(
            'METHOD_NOT_ALLOWED',
            `HTTP Method '${method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE`,
          ),
        ],
      ];
    }
    const p = parsed();
    if (!p.ok) return [400, [p.error]];
    if (!id) {
      if (!ext || ext.field === 'Id')
        return [404, [sfError('NOT_FOUND', 'The requested resource does not exist')]];
      return this.create(version, object, def, p.value, { [ext.field]: ext.value });
    }
    const v = validateWrite(object, def, p.value, (ref) => this.exists(ref));
    if (!v.ok) return [400, [v.error]];
    const record = this.table(object).get(id) as SfRecord;
    Object.assign(record, v.changes);
    this.patches.push({ at: Date.now(), object, id, body: p.value, created: false });
    this.applied.set(id, (this.applied.get(id) ?? 0) + 1);
    // Upsert of an existing record: 200 with created:false since API v46.0, 204 before; PATCH by id: 204.
    if (ext && apiVersion(version) >= 46) return [200, { id, success: true, errors: [], created: false }];
    return [204, undefined];
  }

  private create(
    version: string,
    object: string,
    def: ObjectDef,
    body: unknown,
    preset: SfRecord,
  ): [number, unknown] {
    const v = validateWrite(object, def, body, (ref) => this.exists(ref));
    if (!v.ok) return [400, [v.error]];
    const fields = { ...def.defaults, ...v.changes, ...preset };
    const missing = missingRequired(def, fields);
    if (missing) return [400, [missing]];
    const id = this.insert(object, fields);
    this.patches.push({ at: Date.now(), object, id, body, created: true });
    return [201, { id, success: true, errors: [], ...(apiVersion(version) >= 46 ? { created: true } : {}) }];
  }

  private read(
    version: string,
    object: string,
    def: ObjectDef,
    id: string,
    fieldsParam: string | null,
  ): [number, unknown] {
    const record = this.table(object).get(id) as SfRecord;
    const wanted = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()) : [...def.fields];
    const out: Record<string, unknown> = {
      attributes: { type: object, url: `/services/data/${version}/sobjects/${object}/${id}` },
    };
    for (const name of wanted) {
      const field = canonicalField(def, name);
      if (!field)
        return [
          400,
          [
            sfError(
              'INVALID_FIELD',
              `No such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
            ),
          ],
        ];
      out[field] = record[field] ?? null;
    }
    return [200, out];
  }

  private def(object: string): ObjectDef {
    const def = this.objects[object];
    if (!def) throw new Error(`no sObject ${object} in this contract server`);
    return def;
  }
  private table(object: string): Map<string, SfRecord> {
    const t = this.data.get(object);
    if (!t) throw new Error(`no sObject ${object} in this contract server`);
    return t;
  }
  /** By 18- or 15-character id. */
  private find(object: string, id: string): SfRecord | undefined {
    const t = this.table(object);
    return t.get(id) ?? [...t.values()].find((r) => String(r.Id).slice(0, 15) === id);
  }
  private exists(id: string): boolean {
    return [...this.data.keys()].some((o) => this.find(o, id) !== undefined);
  }
}

const apiVersion = (v: string) => Number(v.slice(1));
