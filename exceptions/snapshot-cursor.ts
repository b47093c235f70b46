import { z } from 'zod';
import { windowPartialsSnapshotSchema } from './aggregates/windows.ts';
import { customerFactsSchema, loadFactsSchema, shipmentFactsSchema, warehouseFactsSchema } from './facts.ts';
import { feedStateSchema } from './feeds.ts';
import { type DetectorState, KIND_INDEX, SUBJECT_KINDS } from './state.ts';
import type { TimerQueue } from './timers.ts';
import type { SubjectKind, Subjects } from './types.ts';
import { watermarkSnapshotSchema } from './watermark.ts';

/**
 * Snapshot format 2: one JSON record per line, so a snapshot is written and read a slice at a time and
 * never exists whole in memory. `["m", meta]` first, then one `[tag, id, facts, timer due | null]` per
 * subject, in any order. The live worker gzips the lines into the object store (with a header and a
 * trailer that counts them); read back, each record is validated like any other input.
 */
export const snapshotMetaSchema = z.object({
  watermark: watermarkSnapshotSchema,
  windows: windowPartialsSnapshotSchema,
  sweepAt: z.number().nullable(),
  /** What each source was learned to send; absent in snapshots written before feeds were tracked. */
  feeds: feedStateSchema.optional(),
});
export type SnapshotMeta = z.output<typeof snapshotMetaSchema>;

const TAG_OF_KIND = { shipment: 's', load: 'l', warehouse: 'w', customer: 'c' } as const;
const due = z.number().nullable();
const subjectRecordSchemas = {
  s: z.tuple([z.literal('s'), z.string(), shipmentFactsSchema, due]),
  l: z.tuple([z.literal('l'), z.string(), loadFactsSchema, due]),
  w: z.tuple([z.literal('w'), z.string(), warehouseFactsSchema, due]),
  c: z.tuple([z.literal('c'), z.string(), customerFactsSchema, due]),
} as const;
const KIND_OF_TAG = { s: 'shipment', l: 'load', w: 'warehouse', c: 'customer' } as const;
const metaRecordSchema = z.tuple([z.literal('m'), snapshotMetaSchema]);

export type SnapshotRecord =
  | { readonly t: 'meta'; readonly meta: SnapshotMeta }
  | {
      readonly t: 'subject';
      readonly kind: SubjectKind;
      readonly id: string;
      readonly facts: Subjects[SubjectKind];
      readonly dueMs: number | null;
    };

export class SnapshotRecordError extends Error {
  override readonly name = 'SnapshotRecordError';
}

/** Validates one parsed line of a format-2 snapshot. */
export function parseSnapshotRecord(raw: unknown): SnapshotRecord {
  const tag: unknown = Array.isArray(raw) ? raw[0] : undefined;
  if (tag === 's' || tag === 'l' || tag === 'w' || tag === 'c') {
    const r = subjectRecordSchemas[tag].safeParse(raw);
    if (!r.success) throw new SnapshotRecordError(`invalid ${tag} record`, { cause: r.error });
    const [, id, facts, dueMs] = r.data;
    return { t: 'subject', kind: KIND_OF_TAG[tag], id, facts, dueMs };
  }
  const r = metaRecordSchema.safeParse(raw);
  if (!r.success) throw new SnapshotRecordError('unknown or invalid snapshot record', { cause: r.error });
  return { t: 'meta', meta: r.data[1] };
}

/**
 * A consistent snapshot of a detector, read out a slice at a time while the detector keeps processing
 * (copy-on-write): before the detector changes a subject it calls `touch`, which writes the subject as it
 * was when the cursor opened (once); subjects created after that are left out. So the lines always
 * describe the state at the cursor's opening — the stream sequence it covers — without pausing the task.
 */
export class SnapshotCursor {
  private pending: string[];
  private readonly taken: Record<SubjectKind, Set<string>> = {
    shipment: new Set(),
    load: new Set(),
    warehouse: new Set(),
    customer: new Set(),
  };
  private kind = 0;
  private iter: Iterator<[string, Subjects[SubjectKind]]> | undefined;

  constructor(
    private readonly state: DetectorState,
    private readonly timers: TimerQueue,
    meta: SnapshotMeta,
  ) {
    this.pending = [`${JSON.stringify(['m', meta])}\n`];
  }

  /** Call before changing (or deleting) a subject; `dueMs` is its timer when the caller already popped it. */
  touch(kind: SubjectKind, id: string, dueMs?: number): void {
    const taken = this.taken[kind];
    if (taken.has(id)) return;
    taken.add(id);
    const facts = this.state.map(kind).get(id);
    if (facts) this.pending.push(this.line(kind, id, facts, dueMs));
  }

  /** The next lines (about `max` subjects), or undefined once everything was returned. */
  next(max = 256): string | undefined {
    while (this.pending.length < max) {
      const kind = SUBJECT_KINDS[this.kind];
      if (!kind) break;
      this.iter ??= this.state.map(kind).entries();
      const r = this.iter.next();
      if (r.done) {
        this.iter = undefined;
        this.kind++;
        continue;
      }
      const [id, facts] = r.value;
      const taken = this.taken[kind];
      if (taken.has(id)) continue;
      taken.add(id);
      this.pending.push(this.line(kind, id, facts));
    }
    if (this.pending.length === 0) return undefined;
    const text = this.pending.join('');
    this.pending = [];
    return text;
  }

  private line(kind: SubjectKind, id: string, facts: Subjects[SubjectKind], dueMs?: number): string {
    const due = dueMs ?? this.timers.get(KIND_INDEX[kind], id) ?? null;
    return `${JSON.stringify([TAG_OF_KIND[kind], id, facts, due])}\n`;
  }
}
