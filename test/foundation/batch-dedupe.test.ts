import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchWriter, loadConfig, openStore, queryRows, type Store } from '../../core/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * Acceptance: a redelivered ClickHouse batch is deduplicated by the server — raw row counts, no FINAL,
 * before any merge. The token covers the messages' stream positions, not the rows (which carry a storage
 * time, so a redelivery makes different rows).
 */
const data = tempDir('dedupe');
let store: Store;
const table = 'default.dedupe_t';

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  // As the migrations declare their tables: insert dedup on a non-replicated MergeTree needs the window.
  await store.client.command({
    query: `CREATE TABLE ${table} (id String, stored_at UInt64) ENGINE = ReplacingMergeTree ORDER BY id
            SETTINGS non_replicated_deduplication_window = 1000`,
  });
});
afterAll(async () => {
  await store?.close();
  data.remove();
});

const rawCount = async () =>
  Number((await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ${table}`))[0]?.n);

/** Writes one message per position, as a sink does, with the storage time in the row. */
function deliver(writer: BatchWriter<{ id: string; stored_at: number }>, seqs: number[], storedAt: number) {
  return Promise.all(seqs.map((s) => writer.write([{ id: `e${s}`, stored_at: storedAt }], `EVENTS#${s}`)));
}

describe('BatchWriter insert deduplication', () => {
  it('drops a redelivered batch of the same messages, in any order and with different row contents', async () => {
    const writer = new BatchWriter<{ id: string; stored_at: number }>(store, table, {
      maxRows: 100_000,
      intervalMs: 20,
    });
    const seqs = Array.from({ length: 40 }, (_, i) => i + 1);
    await deliver(writer, seqs, 1);
    expect(await rawCount()).toBe(40);
    // The consumer crashed before its acks: the same 40 messages come again, in another order, later.
    await deliver(writer, [...seqs].reverse(), 2);
    await writer.flush();
    expect(await rawCount()).toBe(40);
    // New messages are stored, of course.
    await deliver(writer, [41, 42], 3);
    expect(await rawCount()).toBe(42);
    await writer.close();
  });

  it("leaves later inserts without a token alone: the batch's token does not stick to the embedded session", async () => {
    const other = 'default.dedupe_other';
    await store.client.command({
      query: `CREATE TABLE ${other} (id String) ENGINE = MergeTree ORDER BY id
              SETTINGS non_replicated_deduplication_window = 1000`,
    });
    const writer = new BatchWriter<{ id: string; stored_at: number }>(store, table, {
      maxRows: 10,
      intervalMs: 20,
    });
    await deliver(writer, [100], 4);
    await writer.flush();
    // chDB applies a query's settings as SET on its session: without the reset, these two different
    // token-less inserts would carry the batch's token and the second would be dropped as its duplicate.
    await store.client.insert({ table: other, values: [{ id: 'a' }], format: 'JSONEachRow' });
    await store.client.insert({ table: other, values: [{ id: 'b' }], format: 'JSONEachRow' });
    const ids = await queryRows<{ id: string }>(store, `SELECT id FROM ${other} ORDER BY id`);
    expect(ids.map((r) => r.id)).toEqual(['a', 'b']);
    await writer.close();
  });
});
