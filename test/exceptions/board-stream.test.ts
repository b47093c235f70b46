import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type DetectedException, lifecycleVersion } from '../../core/mod.ts';
import { startLiveFeed } from '../../dashboards/live.ts';
import type { TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { danaToken, exception, publishAll, run, startBoardDockside } from './board-fixtures.ts';

/**
 * The exception board's live feed on a whole Dockside (real NATS, embedded ClickHouse), over a real HTTP
 * connection: ids, resume with Last-Event-ID, filters, and a reset when a replay would carry too much.
 */
let t: TestDockside;
let base = '';

const auth = () => ({ authorization: `Bearer ${danaToken(t)}` });
const publish = (...exs: DetectedException[]) => publishAll(t, exs);

beforeAll(async () => {
  ({ t, base } = await startBoardDockside('boardstream'));
});

afterAll(async () => {
  await t?.close();
});

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a server-sent event stream over a real HTTP connection (fetch streaming) and parses its events. */
async function openStream(query = '', headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/stream${query}`, {
    headers: { ...auth(), ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let text = '';
  const reading = (async () => {
    if (!res.body) return;
    try {
      for await (const chunk of res.body) {
        text += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = text.indexOf('\n\n');
        while (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const e: SseEvent = { event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon === 0) continue;
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') e.id = value;
            else if (field === 'event') e.event = value;
            else if (field === 'data') {
              e.data += value;
              hasData = true;
            }
          }
          if (hasData) events.push(e);
          end = text.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    events,
    exceptions: () =>
      events
        .filter((e) => e.event === 'exception')
        .map((e) => ({ seq: Number(e.id), ex: JSON.parse(e.data) as DetectedException })),
    async close() {
      abort.abort();
      await reading;
    },
  };
}

describe('GET /api/stream', () => {
  it('sends the stream sequence as the event id and resumes after Last-Event-ID with what was missed', async () => {
    const wh = `WH-S-${run}`;
    const s1 = await openStream(`?warehouseId=${wh}`);
    expect(s1.status).toBe(200);
    const [e1, e2, e3, e4, e5, e6] = [1, 2, 3, 4, 5, 6].map(() => exception({ ageMin: 1, warehouseId: wh }));
    if (!e1 || !e2 || !e3 || !e4 || !e5 || !e6) throw new Error('fixtures');
    // The server subscribes before it sends the response head, so what is published now reaches s1.
    await publish(e1, e2);
    const first = await waitFor('two live states', () =>
      s1.exceptions().length >= 2 ? s1.exceptions() : undefined,
    );
    expect(first.map((x) => x.ex.id)).toEqual([e1.id, e2.id]);
    expect(first[1]?.seq).toBeGreaterThan(first[0]?.seq ?? Number.POSITIVE_INFINITY);
    await s1.close();

    // Missed while disconnected.
    await publish(e3, e4);
    const last = String(first[1]?.seq);
    const s2 = await openStream(`?warehouseId=${wh}`, { 'last-event-id': last });
    const resumed = await waitFor('the missed states', () =>
      s2.exceptions().length >= 2 ? s2.exceptions() : undefined,
    );
    expect(resumed.map((x) => x.ex.id)).toEqual([e3.id, e4.id]);
    // …then live ones, with no repeat and no gap.
    await publish(e5);
    const live = await waitFor('a live state after the replay', () =>
      s2.exceptions().length >= 3 ? s2.exceptions() : undefined,
    );
    expect(live.map((x) => x.ex.id)).toEqual([e3.id, e4.id, e5.id]);
    const seqs = live.map((x) => x.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    await s2.close();

    // A new EventSource passes the id as ?lastEventId= instead.
    await publish(e6);
    const s3 = await openStream(`?warehouseId=${wh}&lastEventId=${String(live[2]?.seq)}`);
    const viaQuery = await waitFor('the state missed, via the query', () =>
      s3.exceptions().length >= 1 ? s3.exceptions() : undefined,
    );
    expect(viaQuery.map((x) => x.ex.id)).toEqual([e6.id]);
    await s3.close();
  });

  it('applies the list’s filters to the stream, and refuses unknown values', async () => {
    const wh = `WH-F-${run}`;
    const s = await openStream(`?warehouseId=${wh}&severity=critical,high&type=late_scan`);
    const keep1 = exception({ type: 'late_scan', severity: 'critical', ageMin: 1, warehouseId: wh });
    const drop1 = exception({ type: 'late_scan', severity: 'low', ageMin: 1, warehouseId: wh });
    const drop2 = exception({ type: 'short_pick', severity: 'critical', ageMin: 1, warehouseId: wh });
    const drop3 = exception({
      type: 'late_scan',
      severity: 'critical',
      ageMin: 1,
      warehouseId: `${wh}-other`,
    });
    const keep2 = exception({
      type: 'late_scan',
      severity: 'high',
      ageMin: 1,
      warehouseId: wh,
      status: 'assigned',
    });
    await publish(keep1, drop1, drop2, drop3, keep2);
    const got = await waitFor('the matching states', () =>
      s.exceptions().length >= 2 ? s.exceptions() : undefined,
    );
    // The last published one arrived, so every earlier one has been through the filter.
    expect(got.map((x) => x.ex.id)).toEqual([keep1.id, keep2.id]);
    await s.close();

    const byStatus = await openStream(`?warehouseId=${wh}&status=resolved`);
    const resolved = {
      ...keep1,
      status: 'resolved' as const,
      version: lifecycleVersion('resolved', Date.now()),
    };
    await publish({ ...keep2, id: `${keep2.id}-x` }, resolved);
    const r = await waitFor('the resolved state only', () =>
      byStatus.exceptions().length >= 1 ? byStatus.exceptions() : undefined,
    );
    expect(r.map((x) => [x.ex.id, x.ex.status])).toEqual([[keep1.id, 'resolved']]);
    await byStatus.close();

    for (const q of ['?severity=bogus', '?type=bogus', '?customerTier=gold', '?lastEventId=abc']) {
      const res = await fetch(`${base}/api/stream${q}`, { headers: auth() });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('REQUEST_INVALID');
    }
  });

  it('tells a client to reload when what it missed is more than a replay may carry', async () => {
    const feed = await startLiveFeed(
      jetstream(t.dockside.nc),
      t.dockside.names,
      createLogger({ logLevel: 'silent' }),
      {
        maxReplayMessages: 1,
      },
    );
    try {
      const wh = `WH-R-${run}`;
      const a = exception({ ageMin: 1, warehouseId: wh });
      const b = exception({ ageMin: 1, warehouseId: wh });
      const c = exception({ ageMin: 1, warehouseId: wh });
      const seen: string[] = [];
      const probe = feed.subscribe((ex) => {
        if (ex.warehouseId === wh) seen.push(ex.id);
      });
      await publish(a, b);
      await waitFor('two states on the feed', () => (seen.length >= 2 ? true : undefined));
      probe();
      const info = await (
        await jetstream(t.dockside.nc).streams.get(t.dockside.names.exceptionsStream)
      ).info();
      const resets: string[] = [];
      const got: string[] = [];
      const stop = feed.resume(info.state.last_seq - 2, {
        onException: (ex) => {
          if (ex.warehouseId === wh) got.push(ex.id);
        },
        onReset: (why) => resets.push(why),
      });
      await waitFor('a reset', () => (resets.length ? true : undefined));
      expect(resets[0]).toContain('more than 1 missed');
      await publish(c);
      await waitFor('live states after the reset', () => (got.includes(c.id) ? true : undefined));
      expect(got).toEqual([c.id]);
      stop();
    } finally {
      await feed.stop();
    }
  });
});
