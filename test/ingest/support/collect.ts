import type { CanonicalEvent } from '../../../core/mod.ts';
import type { Converted, Rejected } from '../../../ingest/convert.ts';

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export function eventsOf(results: readonly Converted[]): CanonicalEvent[] {
  return results.flatMap((r) => (r.ok ? [r.event] : []));
}

export function rejectionsOf(results: readonly Converted[]): Rejected[] {
  return results.flatMap((r) => (r.ok ? [] : [r]));
}

/** One event by id, failing loudly (with the ids present) when it is missing. */
export function byId(events: readonly CanonicalEvent[], id: string): Record<string, unknown> {
  const found = events.find((e) => e.id === id);
  if (!found) throw new Error(`no event ${id}; have ${events.map((e) => e.id).join(', ')}`);
  return found;
}
