/**
 * Event-time timers: a binary min-heap on due time with lazy cancellation. Schedule, cancel and
 * pop-due are O(log n); a cancelled or rescheduled entry is skipped when it reaches the top.
 * One flat object per timer (key, due, generation): with a million shipments in flight every byte counts.
 */
export interface Timer {
  readonly key: string;
  readonly dueMs: number;
}

interface Entry {
  readonly key: string;
  readonly dueMs: number;
  readonly gen: number;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private live = new Map<string, Entry>();
  private gen = 0;

  get size(): number {
    return this.live.size;
  }

  schedule(timer: Timer): void {
    const entry: Entry = { key: timer.key, dueMs: timer.dueMs, gen: ++this.gen };
    this.live.set(timer.key, entry);
    this.push(entry);
  }

  cancel(key: string): boolean {
    return this.live.delete(key);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  get(key: string): Timer | undefined {
    return this.live.get(key);
  }

  /** Removes and returns every live timer due at or before `watermarkMs`, in due-time order. */
  popDue(watermarkMs: number): Timer[] {
    const due: Timer[] = [];
    for (let top = this.heap[0]; top && top.dueMs <= watermarkMs; top = this.heap[0]) {
      this.pop();
      if (this.live.get(top.key) === top) {
        this.live.delete(top.key);
        due.push(top);
      }
    }
    this.compactIfSparse();
    return due;
  }

  /** Live timers, for snapshots. */
  entries(): Timer[] {
    return [...this.live.values()];
  }

  private compactIfSparse(): void {
    // Cancelled entries linger in the heap; rebuild when they dominate so memory tracks live timers.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live.size) {
      this.heap = [];
      for (const e of this.live.values()) this.push(e);
    }
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!p || before(p, entry)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best: Entry = last;
      const le = h[l];
      const re = h[r];
      if (le && before(le, best)) {
        m = l;
        best = le;
      }
      if (re && before(re, best)) {
        m = r;
        best = re;
      }
      if (m === i) break;
      h[i] = best;
      i = m;
    }
    h[i] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.gen < b.gen);
}
