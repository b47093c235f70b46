/**
 * Event-time timers: a binary min-heap on (due time, schedule order) with lazy cancellation, at most one
 * live timer per subject. Schedule, cancel and pop-due are O(log n); an entry whose due time is no longer
 * its subject's live one is skipped when it reaches the top.
 * Packed, because a million shipments in flight means a million timers: the heap lives in typed arrays
 * (no object per entry), and subjects are (kind, id) with the id string shared with the state's map key.
 */
export interface Timer {
  readonly kind: number;
  readonly id: string;
  readonly dueMs: number;
}

const INITIAL = 1_024;

export class TimerQueue {
  /** Per kind: subject id → due time of its live timer. */
  private readonly live: Map<string, number>[];
  private dues = new Float64Array(INITIAL);
  private gens = new Float64Array(INITIAL);
  private kinds = new Uint8Array(INITIAL);
  private ids: string[] = [];
  private n = 0;
  private gen = 0;

  constructor(kinds = 1) {
    this.live = Array.from({ length: kinds }, () => new Map<string, number>());
  }

  get size(): number {
    let s = 0;
    for (const m of this.live) s += m.size;
    return s;
  }

  /** Sets the subject's timer (replacing its previous one). */
  schedule(kind: number, id: string, dueMs: number): void {
    this.map(kind).set(id, dueMs);
    this.push(kind, id, dueMs, ++this.gen);
  }

  cancel(kind: number, id: string): boolean {
    return this.map(kind).delete(id);
  }

  /** The due time of the subject's live timer. */
  get(kind: number, id: string): number | undefined {
    return this.map(kind).get(id);
  }

  /** Removes and returns every live timer due at or before `watermarkMs`, in (due, schedule) order. */
  popDue(watermarkMs: number): Timer[] {
    const due: Timer[] = [];
    while (this.n > 0 && (this.dues[0] ?? Number.POSITIVE_INFINITY) <= watermarkMs) {
      const dueMs = this.dues[0] ?? 0;
      const kind = this.kinds[0] ?? 0;
      const id = this.ids[0] ?? '';
      this.pop();
      const live = this.map(kind);
      if (live.get(id) === dueMs) {
        live.delete(id);
        due.push({ kind, id, dueMs });
      }
    }
    this.compactIfSparse();
    return due;
  }

  /** Live timers, for snapshots. */
  entries(): Timer[] {
    const out: Timer[] = [];
    this.live.forEach((m, kind) => {
      for (const [id, dueMs] of m) out.push({ kind, id, dueMs });
    });
    return out;
  }

  private map(kind: number): Map<string, number> {
    const m = this.live[kind];
    if (!m) throw new RangeError(`timer kind ${kind} out of range`);
    return m;
  }

  private compactIfSparse(): void {
    // Cancelled or replaced entries linger in the heap; drop them when they dominate (keeping the
    // schedule order of the rest), so memory tracks live timers.
    if (this.n <= INITIAL || this.n <= 4 * this.size) return;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const id = this.ids[i] ?? '';
      if (this.live[this.kinds[i] ?? 0]?.get(id) !== this.dues[i]) continue;
      this.dues[k] = this.dues[i] ?? 0;
      this.gens[k] = this.gens[i] ?? 0;
      this.kinds[k] = this.kinds[i] ?? 0;
      this.ids[k] = id;
      k++;
    }
    this.n = k;
    this.ids.length = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(kind: number, id: string, dueMs: number, gen: number): void {
    if (this.n === this.dues.length) this.grow();
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(dueMs, gen, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, kind, id, dueMs, gen);
  }

  private pop(): void {
    const last = --this.n;
    if (last === 0) {
      this.ids.length = 0;
      return;
    }
    const dueMs = this.dues[last] ?? 0;
    const gen = this.gens[last] ?? 0;
    const kind = this.kinds[last] ?? 0;
    const id = this.ids[last] ?? '';
    this.ids.length = last;
    this.set(0, kind, id, dueMs, gen);
    this.down(0);
  }

  /** Sifts the entry at i down to its place. */
  private down(i: number): void {
    const dueMs = this.dues[i] ?? 0;
    const gen = this.gens[i] ?? 0;
    const kind = this.kinds[i] ?? 0;
    const id = this.ids[i] ?? '';
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.lessAt(r, l) ? r : l;
      if (!this.before(this.dues[c] ?? 0, this.gens[c] ?? 0, i, dueMs, gen)) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, kind, id, dueMs, gen);
  }

  /** (dueMs, gen) before the entry at j (or before (jDue, jGen) when given). */
  private before(dueMs: number, gen: number, j: number, jDue?: number, jGen?: number): boolean {
    const d = jDue ?? this.dues[j] ?? 0;
    const g = jGen ?? this.gens[j] ?? 0;
    return dueMs < d || (dueMs === d && gen < g);
  }

  private lessAt(a: number, b: number): boolean {
    return this.before(this.dues[a] ?? 0, this.gens[a] ?? 0, b);
  }

  private move(from: number, to: number): void {
    this.dues[to] = this.dues[from] ?? 0;
    this.gens[to] = this.gens[from] ?? 0;
    this.kinds[to] = this.kinds[from] ?? 0;
    this.ids[to] = this.ids[from] ?? '';
  }

  private set(i: number, kind: number, id: string, dueMs: number, gen: number): void {
    this.dues[i] = dueMs;
    this.gens[i] = gen;
    this.kinds[i] = kind;
    this.ids[i] = id;
  }

  private grow(): void {
    const cap = this.dues.length * 2;
    const dues = new Float64Array(cap);
    dues.set(this.dues);
    const gens = new Float64Array(cap);
    gens.set(this.gens);
    const kinds = new Uint8Array(cap);
    kinds.set(this.kinds);
    this.dues = dues;
    this.gens = gens;
    this.kinds = kinds;
  }
}
