import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  bodyText,
  type CallOptions,
  excerpt,
  readJson,
  send,
  statusCode,
  statusError,
  tryJson,
} from './http.ts';

const TARGET = 'jira';

export interface JiraConfig {
  readonly url: string;
  readonly token: string;
  /** With a user: basic auth `user:token` (Jira Cloud API token); without: a bearer personal access token. */
  readonly user?: string;
}

export interface JiraIssueInput {
  /** Dockside's action id: the idempotency key (a retried create finds the issue instead of making another). */
  readonly key: string;
  readonly project: string;
  /** A priority name of the Jira instance's scheme, e.g. `P2` or `High`. */
  readonly priority: string;
  readonly summary: string;
  readonly description: string;
  readonly labels?: readonly string[];
  /** `Task` by default. */
  readonly issueType?: string;
}

export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly self: string;
}

const issueSchema = z.object({ id: z.string(), key: z.string(), self: z.string() });
const searchSchema = z.object({ total: z.number().optional(), issues: z.array(issueSchema) });
/** Jira's error body: `{ errorMessages: string[], errors: { field: message } }`. */
const errorSchema = z.object({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.string()).optional(),
});

/** The label that marks the issue of one Dockside action (labels cannot contain spaces; kept short). */
export function idempotencyLabel(key: string): string {
  return `dockside-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Jira limits summaries to 255 characters and refuses line breaks in them. */
const summaryText = (s: string) => {
  const flat = s.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > 255 ? `${flat.slice(0, 254)}…` : flat;
};

/**
 * Opens Jira issues through REST v2 (`POST /rest/api/2/issue`), exactly once per Dockside action: every
 * issue carries the label `dockside-<hash of the key>`, and before creating, a search by that label finds
 * an issue made by an earlier attempt whose answer was lost (or whose process died). Caveat: Jira's search
 * index can lag a create by a moment, so two attempts within that moment could still make two issues; the
 * outbox's back-off keeps retries further apart than that.
 */
export class JiraClient {
  readonly target = TARGET;
  private readonly auth: string;

  constructor(
    private readonly config: JiraConfig,
    private readonly options: CallOptions = {},
  ) {
    this.auth = config.user
      ? `Basic ${Buffer.from(`${config.user}:${config.token}`).toString('base64')}`
      : `Bearer ${config.token}`;
  }

  async createIssue(input: JiraIssueInput): Promise<JiraIssue> {
    const label = idempotencyLabel(input.key);
    const existing = await this.findByLabel(label);
    if (existing) return existing;
    const labels = [...new Set([...(input.labels ?? []), label])];
    const body = {
      fields: {
        project: { key: input.project },
        summary: summaryText(input.summary),
        description: input.description,
        issuetype: { name: input.issueType ?? 'Task' },
        priority: { name: input.priority },
        labels,
      },
    };
    const res = await this.request('POST', '/rest/api/2/issue', body, 'create issue');
    return readJson(TARGET, res, issueSchema, 'create issue');
  }

  /** The issue carrying `label`, if any (the oldest when, against the odds, there are several). */
  async findByLabel(label: string): Promise<JiraIssue | undefined> {
    const jql = `labels = "${label}" ORDER BY created ASC`;
    const path = `/rest/api/2/search?jql=${encodeURIComponent(jql)}&fields=summary&maxResults=1`;
    const res = await this.request('GET', path, undefined, 'search issues');
    const found = await readJson(TARGET, res, searchSchema, 'search issues');
    return found.issues[0];
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    what: string,
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: this.auth, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await send(
      TARGET,
      `${this.config.url}${path}`,
      { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
      this.options,
    );
    if (res.ok) return res;
    const text = await bodyText(TARGET, res);
    const parsed = errorSchema.safeParse(tryJson(text));
    const parts = parsed.success
      ? [
          ...(parsed.data.errorMessages ?? []),
          ...Object.entries(parsed.data.errors ?? {}).map(([field, msg]) => `${field}: ${msg}`),
        ]
      : [];
    const detail = parts.length > 0 ? parts.join('; ') : excerpt(text) || res.statusText;
    throw statusError(TARGET, res, statusCode(res.status), `${what}: ${detail}`);
  }
}
