import { comparator, type Exception, type Filters, matches, type Row, rowOf, type Sort } from './model.ts';

/** How long live states are kept to re-apply over a reloaded list (the list may lag the stream a little). */
const RECENT_MS = 60_000;
const RECENT_MAX = 5_000;
/** How long a row that arrived live stays highlighted. */
export const FRESH_MS = 4_000;

/**
 * The board's state: the exceptions on it in a Map by id (a state replaces another only with a higher
 * version), their order computed lazily once per change, rows that just arrived, and the live states of the
 * last minute (a list reloaded from the API is patched with them, so a state the list has not stored yet is
 * not lost).
 */
export class BoardStore {
  private readonly rows = new Map<string, Row>();
  private readonly recent = new Map<string, { ex: Exception; at: number }>();
  private readonly fresh = new Map<string, number>();
  private order: Row[] | undefined;
  private orderSort: Sort | undefined;
  /** Incremented on every change: the view renders on it. */
  version = 0;

  constructor(private filters: Filters) {}

  get size(): number {
    return this.rows.size;
  }

  get(id: string): Exception | undefined {
    return this.rows.get(id)?.ex;
  }

  /** New filters: rows that no longer match leave at once (the reloaded list brings the new ones). */
  setFilters(f: Filters, nowMs: number): void {
    if (sameFilters(f, this.filters)) return;
    this.filters = f;
    for (const [id, r] of this.rows) if (!matches(f, r.ex, nowMs)) this.rows.delete(id);
    this.changed();
  }

  /** Replaces everything with a freshly loaded list, then re-applies the live states of the last minute. */
  replaceAll(items: readonly Exception[], nowMs: number): void {
    this.rows.clear();
    this.fresh.clear();
    for (const ex of items) this.rows.set(ex.id, rowOf(ex));
    for (const [id, r] of this.recent) {
      if (nowMs - r.at > RECENT_MS) this.recent.delete(id);
      else this.apply(r.ex, nowMs);
    }
    this.changed();
  }

  /**
   * A live state. Returns 'added' for an exception new to the board, 'updated', 'removed' (it no longer
   * matches, e.g. resolved), or 'ignored' (an older version than the one shown, or not for this board).
   */
  live(ex: Exception, nowMs: number): 'added' | 'updated' | 'removed' | 'ignored' {
    const prev = this.recent.get(ex.id);
    if (!prev || prev.ex.version <= ex.version) {
      this.recent.delete(ex.id);
      this.recent.set(ex.id, { ex, at: nowMs });
      if (this.recent.size > RECENT_MAX) {
        const oldest = this.recent.keys().next().value;
        if (oldest !== undefined) this.recent.delete(oldest);
      }
    }
    const result = this.apply(ex, nowMs);
    if (result === 'added') this.fresh.set(ex.id, nowMs);
    if (result !== 'ignored') this.changed();
    return result;
  }

  /** A state the API answered with (after assign/resolve): applied like a live one, without highlight. */
  put(ex: Exception, nowMs: number): void {
    if (this.apply(ex, nowMs) !== 'ignored') this.changed();
  }

  private apply(ex: Exception, nowMs: number): 'added' | 'updated' | 'removed' | 'ignored' {
    const cur = this.rows.get(ex.id);
    if (cur && cur.ex.version > ex.version) return 'ignored';
    if (!matches(this.filters, ex, nowMs)) {
      if (!cur) return 'ignored';
      this.rows.delete(ex.id);
      return 'removed';
    }
    this.rows.set(ex.id, rowOf(ex));
    return cur ? 'updated' : 'added';
  }

  isFresh(id: string, nowMs: number): boolean {
    const at = this.fresh.get(id);
    if (at === undefined) return false;
    if (nowMs - at < FRESH_MS) return true;
    this.fresh.delete(id);
    return false;
  }

  /** The rows in the board's order (sorted once per change). */
  sorted(sort: Sort): readonly Row[] {
    if (!this.order || this.orderSort !== sort) {
      this.order = [...this.rows.values()].sort(comparator(sort));
      this.orderSort = sort;
    }
    return this.order;
  }

  /** Distinct values of a field across the board (for the filters' suggestions), sorted. */
  distinct(field: 'lane' | 'customerId' | 'assignedTo'): string[] {
    const out = new Set<string>();
    for (const r of this.rows.values()) {
      const v = r.ex[field];
      if (v) out.add(v);
    }
    return [...out].sort();
  }

  private changed(): void {
    this.order = undefined;
    this.version++;
  }
}

function sameFilters(a: Filters, b: Filters): boolean {
  return (Object.keys(a) as (keyof Filters)[]).every((k) => a[k] === b[k]);
}
