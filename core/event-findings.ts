/**
 * Data-quality findings: things an accepted event says that are odd but not fatal. The event is kept and
 * processed (each promise checked on its own); the finding is recorded beside it (ClickHouse
 * `quality_findings`, `GET /api/quality`, `dockside replay`'s summary) and counted per source. Pure: the
 * ingest sink and the offline replay call the same function, so their counts agree.
 */

export const findingCodes = ['COMMITMENT_INCONSISTENT'] as const;
export type FindingCode = (typeof findingCodes)[number];

export interface Finding {
  readonly code: FindingCode;
  /** The field the finding is about. */
  readonly field: string;
  /** That field's value, as the event carries it. */
  readonly value: string;
  /** Why, in words for people. */
  readonly reason: string;
}

/** An event as far as the checks need it: its type and its fields (a CanonicalEvent, or a stored envelope). */
export type FindingInput = { readonly type: string; readonly [field: string]: unknown };

type Check = (event: FindingInput) => Finding | undefined;

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A delivery promised before the ship-by time: both still stand, each checked against its own signal. */
const commitmentInconsistent: Check = (e) => {
  if (e.type !== 'shipment.committed') return undefined;
  const shipBy = text(e.promisedShipBy);
  const deliverBy = text(e.promisedDeliverBy);
  if (shipBy === undefined || deliverBy === undefined) return undefined;
  const ship = Date.parse(shipBy);
  const deliver = Date.parse(deliverBy);
  if (!(deliver < ship)) return undefined;
  return {
    code: 'COMMITMENT_INCONSISTENT',
    field: 'promisedDeliverBy',
    value: deliverBy,
    reason: `promisedDeliverBy ${deliverBy} is before promisedShipBy ${shipBy}; both promises are checked on their own`,
  };
};

/** Every check, in code order; a new finding is one more entry (and one more code in `findingCodes`). */
const checks: readonly Check[] = [commitmentInconsistent];

/** The findings of one event: at most one per code, none for a clean event. */
export function findingsOf(event: FindingInput): Finding[] {
  const out: Finding[] = [];
  for (const check of checks) {
    const f = check(event);
    if (f) out.push(f);
  }
  return out;
}
