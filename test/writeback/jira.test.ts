import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/mod.ts';
import { idempotencyLabel, JiraClient, type JiraConfig } from '../../writeback/delivery/jira.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';
import { JiraContract } from '../contract/jira.ts';

let jira: JiraContract;
let config: JiraConfig;
let n = 0;

const issue = (key: string) => ({
  key,
  project: 'OPSDATA',
  priority: 'P2',
  summary: 'Inventory mismatch of 7 units at DC-3\nfor SKU 123',
  description: 'Evidence: e1, e2',
  labels: ['dockside'],
});

beforeAll(async () => {
  jira = await JiraContract.start({ user: 'ops-bot@example.com' });
  const c = loadConfig({}, jira.env()).writeback.jira;
  if (!c) throw new Error('jira config missing');
  config = c;
});
afterAll(() => jira.close());
beforeEach(() => {
  jira.clearFaults();
  n++;
});

describe('JiraClient against the Jira contract server', () => {
  it('creates an issue with the project, priority, type and an idempotency label', async () => {
    const client = new JiraClient(config);
    const created = await client.createIssue(issue(`act-${n}`));
    expect(created.key).toMatch(/^OPSDATA-\d+$/);
    expect(created.self).toBe(`${jira.url}/rest/api/2/issue/${created.id}`);
    const stored = jira.issues().find((i) => i.key === created.key);
    expect(stored).toMatchObject({
      project: 'OPSDATA',
      priority: 'P2',
      issueType: 'Task',
      summary: 'Inventory mismatch of 7 units at DC-3 for SKU 123',
      labels: ['dockside', idempotencyLabel(`act-${n}`)],
    });
  });

  it('finds the issue of a lost response on the retry instead of creating another', async () => {
    const client = new JiraClient(config);
    const key = `act-${n}`;
    jira.dropResponseAfterApply(1);
    const lost = await client.createIssue(issue(key)).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(TargetUnavailableError);
    const posts = () => jira.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const again = await client.createIssue(issue(key));
    expect(posts()).toBe(before);
    const mine = jira.issues().filter((i) => i.labels.includes(idempotencyLabel(key)));
    expect(mine).toHaveLength(1);
    expect(again.key).toBe(mine[0]?.key);
    expect(await client.createIssue(issue(key))).toEqual(again);
    expect(jira.issues().filter((i) => i.labels.includes(idempotencyLabel(key)))).toHaveLength(1);
  });

  it("names Jira's field errors in the rejection", async () => {
    const client = new JiraClient(config);
    const err = await client
      .createIssue({ ...issue(`act-${n}`), project: 'NOPE', priority: 'P9' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ status: 400, code: 'BAD_REQUEST', target: 'jira' });
    expect((err as Error).message).toContain('project: project is required');
    expect((err as Error).message).toContain("priority: Specify a valid 'id' or 'name' for Priority");
  });

  it('authenticates with a bearer token or basic user:token, and refuses a wrong token', async () => {
    const bearer = new JiraClient({ url: config.url, token: config.token });
    expect((await bearer.createIssue(issue(`act-${n}-b`))).key).toMatch(/^OPSDATA-/);
    const basic = new JiraClient(config);
    expect((await basic.createIssue(issue(`act-${n}-u`))).key).toMatch(/^OPSDATA-/);
    const wrong = new JiraClient({ ...config, token: 'not-the-token' });
    const err = await wrong.createIssue(issue(`act-${n}-w`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((err as Error).message).not.toContain('not-the-token');
  });

  it('maps 429 and 5xx to unavailable, with Retry-After', async () => {
    const client = new JiraClient(config);
    jira.failFor({ status: 429, count: 1, retryAfterSec: 3 });
    const limited = await client.createIssue(issue(`act-${n}`)).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(TargetUnavailableError);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 3_000 });
    jira.failFor({ status: 503, count: 1 });
    const down = await client.createIssue(issue(`act-${n}`)).catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 503 });
    expect(down).toBeInstanceOf(TargetUnavailableError);
    expect((await client.createIssue(issue(`act-${n}`))).key).toMatch(/^OPSDATA-/);
  });
});
