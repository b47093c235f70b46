import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../core/mod.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { ev } from '../helpers/events.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * JetStream's duplicate window is short on purpose (docs/operations.md); a repeat arriving after it is stored
 * again in the stream and must collapse downstream: one ClickHouse row per event id and one exception.
 */
const WINDOW_MS = 1_000;
let t: TestDockside;
beforeAll(async () => {
  t = await startTestDockside('latedup', { DOCKSIDE_DEDUPE_WINDOW_MS: String(WINDOW_MS) });
});
afterAll(async () => {
  await t?.close();
});

const post = async (payload: unknown) => {
  const res = await t.inject(
    {
      method: 'POST',
      url: '/api/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    },
    'ingest',
  );
  expect(res.statusCode).toBe(202);
  return res.json() as { status: string };
};

async function exceptionsFor(shipmentId: string): Promise<{ id: string; version: number }[]> {
  const res = await t.inject({ url: '/api/exceptions?status=all&limit=5000' });
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: { id: string; version: number; shipmentId?: string }[] }).items.filter(
    (e) => e.shipmentId === shipmentId,
  );
}

const messages = async (stream: string) =>
  (await (await jetstreamManager(t.dockside.nc)).streams.info(stream)).state.messages;

const count = async (sql: string, params: Record<string, unknown>) =>
  Number((await queryRows<{ n: string }>(t.dockside.store, sql, params))[0]?.n);

describe('a duplicate arriving after the JetStream duplicate window', () => {
  it('still yields one ClickHouse event row and one exception', async () => {
    const pick = ev.pick({ ordered: 8, picked: 3 });
    expect(await post(pick)).toMatchObject({ status: 'accepted' });
    const [first] = await waitFor('the short_pick exception', async () => {
      const items = await exceptionsFor(pick.shipmentId);
      return items.length ? items : undefined;
    });

    // Past the window JetStream no longer knows the id: the repeat is accepted, not reported a duplicate.
    await new Promise((r) => setTimeout(r, WINDOW_MS * 2));
    const before = await messages(t.dockside.names.eventsStream);
    const exceptionStates = await messages(t.dockside.names.exceptionsStream);
    expect(await post(pick)).toMatchObject({ status: 'accepted' });
    expect(await messages(t.dockside.names.eventsStream)).toBe(before + 1);
    // A later short pick is a barrier: the detector and sinks are in order, so the repeat is fully processed.
    const barrier = ev.pick({ ordered: 4, picked: 1 });
    await post(barrier);
    await waitFor('the barrier exception', async () =>
      (await exceptionsFor(barrier.shipmentId)).length ? true : undefined,
    );

    const events = t.dockside.store.table('events');
    expect(
      await count(`SELECT count() AS n FROM ${events} FINAL WHERE id = {id:String}`, { id: pick.id }),
    ).toBe(1);
    expect(await exceptionsFor(pick.shipmentId)).toEqual([first]);
    // The detector saw the repeat's id and published no second state: the only new one is the barrier's.
    expect(await messages(t.dockside.names.exceptionsStream)).toBe(exceptionStates + 1);
    const exceptions = t.dockside.store.table('exceptions');
    expect(
      await count(`SELECT count() AS n FROM ${exceptions} FINAL WHERE shipment_id = {s:String}`, {
        s: pick.shipmentId,
      }),
    ).toBe(1);
  });
});
