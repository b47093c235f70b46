// What one stopped `dockside up` stored in its embedded ClickHouse, as JSON on stdout (chDB opens one
// data directory per process, so the chaos test reads each child's directory in a process of its own).
import { loadConfig, openStore, queryRows } from '../../../core/mod.ts';

const config = loadConfig(process.env);
const store = await openStore(config);
try {
  const [raw] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ${store.table('events')}`);
  const events = await queryRows<{ id: string }>(store, `SELECT id FROM ${store.table('events')} FINAL`);
  const exceptions = await queryRows<{ id: string; version: string; status: string }>(
    store,
    `SELECT id, version, status FROM ${store.table('exceptions')} FINAL`,
  );
  process.stdout.write(
    JSON.stringify({
      eventRowsRaw: Number(raw?.n),
      eventIds: events.map((e) => e.id),
      exceptions: exceptions.map((e) => ({ id: e.id, version: Number(e.version), status: e.status })),
    }),
  );
} finally {
  await store.close();
}
