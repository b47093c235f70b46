import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectedException } from '../../core/mod.ts';
import type { TestDockside } from '../helpers/dockside.ts';
import { callApi } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';
import { danaToken, exception, publishAll, run, startBoardDockside } from './board-fixtures.ts';

/**
 * Exception lifecycle races on a whole Dockside (real NATS KV for the latest state, embedded ClickHouse for
 * the stored copy): assign/resolve are compare-and-set on `expectedVersion`, read the latest state (not
 * ClickHouse's lagging copy), keep who it was assigned to, and every transition is in the history.
 */
let t: TestDockside;
let base = '';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function call(method: string, path: string, body?: unknown, userId = 'dispatch-dana'): Promise<Answer> {
  const token =
    userId === 'dispatch-dana' ? danaToken(t) : t.auth.tokenFor(['ops_dispatch_manager'], { userId });
  return callApi(base, token, method, path, body);
}

const path = (ex: DetectedException, action = '') =>
  `/api/exceptions/${encodeURIComponent(ex.id)}${action ? `/${action}` : ''}`;

const TRIES = 100;
const racers = Array.from({ length: TRIES }, (_, i) =>
  exception({ ageMin: 10 + i, customerId: `C-race-${run}` }),
);
const pair = exception({ ageMin: 5, customerId: `C-pair-${run}` });

beforeAll(async () => {
  ({ t, base } = await startBoardDockside('lifecycle'));
  await publishAll(t, [...racers, pair]);
  await waitFor('the fixtures in ClickHouse', async () => {
    const r = await call('GET', `/api/exceptions?status=all&customerId=C-race-${run}&limit=1`);
    const p = await call('GET', path(pair));
    return r.body.total === TRIES && p.status === 200 ? true : undefined;
  });
});

afterAll(async () => {
  await t?.close();
});

describe('assign and resolve: compare-and-set on the latest state', () => {
  it(`two concurrent resolves of one exception: exactly one 202 and one 409 with the winner (${TRIES} tries)`, async () => {
    for (const ex of racers) {
      const [a, b] = await Promise.all([
        call(
          'POST',
          path(ex, 'resolve'),
          { resolution: 'by A', expectedVersion: ex.version },
          'dispatcher-a',
        ),
        call(
          'POST',
          path(ex, 'resolve'),
          { resolution: 'by B', expectedVersion: ex.version },
          'dispatcher-b',
        ),
      ]);
      const statuses = [a.status, b.status].sort();
      expect(statuses, `${ex.id}: ${JSON.stringify([a.body, b.body])}`).toEqual([202, 409]);
      const [won, lost] = a.status === 202 ? [a, b] : [b, a];
      const current = lost.body.current as Record<string, unknown>;
      expect(current).toMatchObject({ status: 'resolved', resolution: won.body.resolution });
      expect(current.version).toBe(won.body.version);
      expect((lost.body.error as { code: string }).code).toMatch(/^EXCEPTION_(VERSION_CONFLICT|RESOLVED)$/);
    }
    // ClickHouse ends with each winner, not an overwrite by the loser.
    const stored = await waitFor('the resolutions stored', async () => {
      const r = await call('GET', `/api/exceptions?status=resolved&customerId=C-race-${run}&limit=${TRIES}`);
      return r.body.total === TRIES ? (r.body.items as Record<string, unknown>[]) : undefined;
    });
    for (const s of stored) {
      const by = (s.details as Record<string, unknown>).resolvedBy;
      expect(s.resolution).toBe(by === 'dispatcher-a' ? 'by A' : 'by B');
    }
  });

  it('a stale expectedVersion is a 409 naming the current version, and nothing changes', async () => {
    const ex = racers[0] as DetectedException;
    const stale = await call('POST', path(ex, 'assign'), { assignee: 'me', expectedVersion: ex.version });
    expect(stale.status).toBe(409);
    const error = stale.body.error as { code: string; issues: { field: string; expected: string }[] };
    const current = stale.body.current as { version: number; status: string };
    expect(error.code).toBe('EXCEPTION_VERSION_CONFLICT');
    expect(error.issues[0]).toMatchObject({
      field: 'expectedVersion',
      expected: `the current version ${current.version}`,
    });
    expect(current.status).toBe('resolved');
    // The right version of a resolved exception: still a 409, now because it is resolved.
    const late = await call('POST', path(ex, 'assign'), { assignee: 'me', expectedVersion: current.version });
    expect(late.status).toBe(409);
    expect((late.body.error as { code: string }).code).toBe('EXCEPTION_RESOLVED');
    expect((await call('POST', path(pair, 'assign'), { assignee: 'me', expectedVersion: 7 })).status).toBe(
      409,
    );
    const missing = await call('POST', path(pair, 'assign'), { assignee: 'me' });
    expect(missing.status).toBe(400);
    expect((missing.body.error as { message: string }).message).toContain('expectedVersion');
  });

  it('assign then resolve at once: the resolution keeps the assignee, and the history lists every transition', async () => {
    const assigned = await call('POST', path(pair, 'assign'), {
      assignee: 'sam',
      expectedVersion: pair.version,
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(202);
    // No wait for ClickHouse: the second transition reads the state the first one wrote.
    const resolved = await call(
      'POST',
      path(pair, 'resolve'),
      { resolution: 'restocked', expectedVersion: assigned.body.version },
      'lead-lee',
    );
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(202);
    expect(resolved.body).toMatchObject({ status: 'resolved', assignedTo: 'sam', resolution: 'restocked' });
    expect(Number(resolved.body.version)).toBeGreaterThan(Number(assigned.body.version));
    const stored = await waitFor('the resolution in ClickHouse', async () => {
      const r = await call('GET', `/api/exceptions?status=resolved&customerId=C-pair-${run}`);
      return (r.body.items as Record<string, unknown>[])[0];
    });
    expect(stored).toMatchObject({
      assignedTo: 'sam',
      resolution: 'restocked',
      details: { assignedBy: 'dispatch-dana', resolvedBy: 'lead-lee' },
    });

    const history = await call('GET', path(pair, 'history'));
    expect(history.status).toBe(200);
    const items = history.body.items as Record<string, unknown>[];
    expect(items.map((i) => [i.action, i.by, i.status])).toEqual([
      ['detected', 'detector', 'open'],
      ['assign', 'dispatch-dana', 'assigned'],
      ['resolve', 'lead-lee', 'resolved'],
    ]);
    expect(items[1]).toMatchObject({ assignedTo: 'sam', version: assigned.body.version });
    expect(items[2]).toMatchObject({ resolution: 'restocked', version: resolved.body.version });
    expect(history.body).toMatchObject({ status: 'resolved', version: resolved.body.version });
    expect((await call('GET', '/api/exceptions/nope/history')).status).toBe(404);
  });
});
