import type http from 'node:http';
import {
  Drops,
  type FaultSpec,
  Faults,
  isRecord,
  type LoggedRequest,
  parseJson,
  type RunningServer,
  readBody,
  sendJson,
  startServer,
} from './http-util.ts';

/**
 * A local server written to Jira's published REST v2 contract (tests and the bench only):
 *  - POST /rest/api/2/issue `{ fields: { project: {key}, summary, description?, issuetype: {name},
 *    priority?: {name}, labels?: string[] } }` → 201 `{ id, key, self }`; validation errors →
 *    400 `{ errorMessages: [], errors: { field: message } }`;
 *  - GET /rest/api/2/search?jql=… (the subset `labels = "x"` / `project = X` joined by AND, optional
 *    ORDER BY created) → `{ startAt, maxResults, total, issues: [{ id, key, self, fields }] }`;
 *  - GET /rest/api/2/issue/{key};
 *  - auth: `Authorization: Bearer <token>`, or `Basic base64(user:token)` → else 401.
 * Controls: failFor (429/500/503 with Retry-After), dropResponseAfterApply, the request log, issues().
 */

export interface JiraServerOptions {
  readonly token?: string;
  /** When set, basic auth with this user and the token is accepted (Jira Cloud); bearer always is. */
  readonly user?: string;
  readonly projects?: readonly string[];
  readonly issueTypes?: readonly string[];
  readonly priorities?: readonly string[];
}

export interface JiraStoredIssue {
  readonly id: string;
  readonly key: string;
  readonly project: string;
  readonly summary: string;
  readonly description: string;
  readonly issueType: string;
  readonly priority: string | undefined;
  readonly labels: readonly string[];
  readonly created: number;
}

type Fault = FaultSpec<429 | 500 | 503>;

export class JiraContract {
  readonly requests: LoggedRequest[] = [];
  readonly token: string;
  private readonly store: JiraStoredIssue[] = [];
  private readonly faults = new Faults<Fault['status'], string>();
  private readonly drops = new Drops();
  private readonly counters = new Map<string, number>();
  private server: RunningServer | undefined;

  private constructor(private readonly options: JiraServerOptions) {
    this.token = options.token ?? 'jira-test-token';
  }

  static async start(options: JiraServerOptions = {}): Promise<JiraContract> {
    const jira = new JiraContract(options);
    jira.server = await startServer((req, res) => jira.handle(req, res));
    return jira;
  }

  get url(): string {
    if (!this.server) throw new Error('Jira contract server not started');
    return this.server.url;
  }

  /** Environment for loadConfig. */
  env(): Record<string, string> {
    return {
      JIRA_URL: this.url,
      JIRA_TOKEN: this.token,
      ...(this.options.user ? { JIRA_USER: this.options.user } : {}),
    };
  }

  failFor(spec: Fault): void {
    this.faults.set(spec);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  /** The next n issue creations are stored, then the connection is destroyed without an answer. */
  dropResponseAfterApply(n: number): void {
    this.drops.set(n);
  }
  issues(): JiraStoredIssue[] {
    return [...this.store];
  }
  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  private authorized(header: string | undefined): boolean {
    if (header === `Bearer ${this.token}`) return true;
    const user = this.options.user;
    return !!user && header === `Basic ${Buffer.from(`${user}:${this.token}`).toString('base64')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ at: Date.now(), method, url: req.url ?? '/', status });
      sendJson(res, status, payload, headers);
    };
    const fault = this.faults.take();
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfterSec !== undefined ? { 'Retry-After': String(fault.retryAfterSec) } : {};
      const message = fault.status === 429 ? 'Rate limit exceeded.' : 'Internal server error';
      return answer(fault.status, { errorMessages: [message], errors: {} }, headers);
    }
    if (!this.authorized(req.headers.authorization)) {
      return answer(401, {
        errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
        errors: {},
      });
    }
    if (url.pathname === '/rest/api/2/issue' && method === 'POST') {
      const [status, payload] = this.create(body);
      if (status === 201 && this.drops.take()) {
        this.requests.push({ at: Date.now(), method, url: req.url ?? '/', status, dropped: true });
        res.socket?.destroy();
        return;
      }
      return answer(status, payload);
    }
    if (url.pathname === '/rest/api/2/search' && method === 'GET') {
      return answer(...this.search(url.searchParams.get('jql') ?? ''));
    }
    const one = /^\/rest\/api\/2\/issue\/([^/]+)$/.exec(url.pathname);
    if (one && method === 'GET') {
      const issue = this.store.find((i) => i.key === one[1] || i.id === one[1]);
      return issue
        ? answer(200, this.view(issue))
        : answer(404, {
            errorMessages: ['Issue does not exist or you do not have permission to see it.'],
            errors: {},
          });
    }
    answer(404, { errorMessages: [`null for uri: ${url.pathname}`], errors: {} });
  }

  private create(text: string): [number, unknown] {
    const p = parseJson(text);
    if (!p.ok) return [400, { errorMessages: [`Unexpected character: ${p.error}`], errors: {} }];
    const fields = isRecord(p.value) && isRecord(p.value.fields) ? p.value.fields : undefined;
    if (!fields) return [400, { errorMessages: ['Field "fields" is required.'], errors: {} }];
    const errors: Record<string, string> = {};
    const name = (v: unknown, key: 'key' | 'name') =>
      isRecord(v) && typeof v[key] === 'string' ? v[key] : undefined;
    const projects = this.options.projects ?? ['OPSDATA', 'OPS'];
    const types = this.options.issueTypes ?? ['Task', 'Bug', 'Story'];
    const priorities = this.options.priorities ?? [
      'P1',
      'P2',
      'P3',
      'P4',
      'Highest',
      'High',
      'Medium',
      'Low',
      'Lowest',
    ];
    const project = name(fields.project, 'key');
    if (!project || !projects.includes(project)) errors.project = 'project is required';
    const issueType = name(fields.issuetype, 'name');
    if (!issueType || !types.includes(issueType)) errors.issuetype = 'Specify an issue type';
    const summary = fields.summary;
    if (typeof summary !== 'string' || summary.trim() === '')
      errors.summary = 'You must specify a summary of the issue.';
    else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(summary))
      errors.summary = 'The summary is invalid because it contains newline characters.';
    const priority = fields.priority === undefined ? undefined : name(fields.priority, 'name');
    if (fields.priority !== undefined && (!priority || !priorities.includes(priority))) {
      errors.priority = `Specify a valid 'id' or 'name' for Priority`;
    }
    const labels = fields.labels ?? [];
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string'))
      errors.labels = 'labels must be strings';
    else {
      const bad = labels.find((l: string) => /\s/.test(l));
      if (bad !== undefined) errors.labels = `The label '${bad}' contains spaces which is invalid.`;
    }
    const description = fields.description ?? '';
    if (typeof description !== 'string') errors.description = 'Operation value must be a string';
    if (Object.keys(errors).length > 0) return [400, { errorMessages: [], errors }];
    const n = (this.counters.get(project as string) ?? 0) + 1;
    this.counters.set(project as string, n);
    const issue: JiraStoredIssue = {
      id: String(10_000 + this.store.length + 1),
      key: `${project}-${n}`,
      project: project as string,
      summary: summary as string,
      description: description as string,
      issueType: issueType as string,
      priority,
      labels: labels as string[],
      created: Date.now(),
    };
    this.store.push(issue);
    return [201, { id: issue.id, key: issue.key, self: `${this.url}/rest/api/2/issue/${issue.id}` }];
  }

  private search(jql: string): [number, unknown] {
    const text = jql.replace(/\s+ORDER\s+BY\s+created(\s+(ASC|DESC))?\s*$/i, '').trim();
    const desc = /ORDER\s+BY\s+created\s+DESC\s*$/i.test(jql);
    const clauses = text === '' ? [] : text.split(/\s+AND\s+/i);
    const tests: Array<(i: JiraStoredIssue) => boolean> = [];
    for (const c of clauses) {
      const m = /^(labels|project)\s*=\s*(?:"([^"]*)"|([^\s"]+))$/i.exec(c.trim());
      if (!m) {
        return [
          400,
          { errorMessages: [`Error in the JQL Query: unexpected clause '${c.trim()}'.`], errors: {} },
        ];
      }
      const value = m[2] ?? m[3] ?? '';
      tests.push(
        (m[1] as string).toLowerCase() === 'labels'
          ? (i) => i.labels.includes(value)
          : (i) => i.project === value,
      );
    }
    const found = this.store
      .filter((i) => tests.every((t) => t(i)))
      .sort((a, b) => (desc ? b.created - a.created : a.created - b.created));
    return [
      200,
      {
        startAt: 0,
        maxResults: 50,
        total: found.length,
        issues: found.slice(0, 50).map((i) => this.view(i)),
      },
    ];
  }

  private view(i: JiraStoredIssue): unknown {
    return {
      id: i.id,
      key: i.key,
      self: `${this.url}/rest/api/2/issue/${i.id}`,
      fields: {
        summary: i.summary,
        description: i.description,
        project: { key: i.project },
        issuetype: { name: i.issueType },
        ...(i.priority ? { priority: { name: i.priority } } : {}),
        labels: i.labels,
      },
    };
  }
}
