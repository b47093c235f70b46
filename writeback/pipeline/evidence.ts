import { type CanonicalEvent, parseEvent, queryRows, type Store } from '../../core/mod.ts';
import type { EvidenceSource } from './ports.ts';

/**
 * The events behind an exception, read from ClickHouse `events` (stored by the events sink). Events the sink
 * has not stored yet are simply absent: a draft cites only the events it could read.
 */
export function evidenceFromStore(store: Store): EvidenceSource {
  return {
    async events(ids) {
      if (ids.length === 0) return [];
      const rows = await queryRows<{ payload: string }>(
        store,
        `SELECT any(payload) AS payload FROM ${store.table('events')} WHERE id IN {ids:Array(String)} GROUP BY id`,
        { ids: [...ids] },
      );
      const out: CanonicalEvent[] = [];
      for (const r of rows) {
        try {
          out.push(parseEvent(JSON.parse(r.payload)));
        } catch {
          // A stored event that no longer parses cannot be cited; the draft goes on without it.
        }
      }
      const order = new Map(ids.map((id, i) => [id, i]));
      return out.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    },
  };
}
