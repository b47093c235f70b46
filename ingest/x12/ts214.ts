import { fieldError } from '../files/record.ts';
import { x12Instant } from './datetime.ts';
import type { TransactionSet } from './envelope.ts';
import {
  attempt,
  collectRefs,
  el,
  firstOf,
  itemPosition,
  type MappedItem,
  refsObject,
  rejectedItem,
  required,
  type SetContext,
  x12Envelope,
} from './set-context.ts';
import type { Segment } from './tokenizer.ts';

type Status =
  | 'picked_up'
  | 'departed'
  | 'arrived'
  | 'out_for_delivery'
  | 'delivered'
  | 'delayed'
  | 'exception';

/**
 * AT701 shipment status code → canonical `tms.status` status. The table is documented in
 * docs/ingest.md; codes not listed are rejected with their value rather than guessed.
 * X1 ("arrived at delivery location") counts as delivered because carriers use it as their delivery
 * message; X3 ("arrived at pick-up location") is only an arrival, since nothing has been loaded yet.
 */
export const AT7_STATUS: Readonly<Record<string, Status>> = {
  X3: 'arrived',
  X8: 'arrived',
  AF: 'picked_up',
  CP: 'picked_up',
  AM: 'picked_up',
  BA: 'picked_up',
  R1: 'picked_up',
  P1: 'departed',
  RL: 'departed',
  CD: 'departed',
  J1: 'departed',
  X6: 'departed',
  AG: 'departed',
  X2: 'departed',
  RH: 'departed',
  BR: 'departed',
  X4: 'arrived',
  AR: 'arrived',
  K1: 'arrived',
  I1: 'arrived',
  S1: 'arrived',
  X5: 'arrived',
  AV: 'arrived',
  AJ: 'out_for_delivery',
  X1: 'delivered',
  D1: 'delivered',
  CB: 'delivered',
  SD: 'delayed',
  BC: 'delayed',
  A3: 'exception',
  A7: 'exception',
  A9: 'exception',
  AH: 'exception',
  AI: 'exception',
  AN: 'exception',
  AP: 'exception',
  BO: 'exception',
  CA: 'exception',
  NB: 'exception',
  OO: 'exception',
  PA: 'exception',
  PR: 'exception',
};

const AT7_TIME_FIELDS = { date: 'AT7-05', time: 'AT7-06', zone: 'AT7-07' } as const;
/** Codes whose AT7 date/time is an estimate (the ETA), not when the status happened. */
const ETA_CODES = new Set(['AG', 'X2']);
/** A non-normal AT702 reason on a movement status means the carrier is reporting a delay. */
const MOVING: ReadonlySet<Status> = new Set(['picked_up', 'departed', 'arrived', 'out_for_delivery']);

interface StatusItem {
  readonly at7: Segment;
  readonly lx: string;
  ms1?: Segment;
}

export function map214(ctx: SetContext): MappedItem[] {
  const { set } = ctx;
  const segs = set.segments;
  const firstLx = segs.findIndex((s) => s.tag === 'LX');
  const heading = firstLx === -1 ? segs : segs.slice(0, firstLx);
  const st = segs[0];
  if (!st) return [];
  const b10 = heading.find((s) => s.tag === 'B10');
  const refs = collectRefs(heading, 'L11', 1, 2);
  const ms3 = heading.find((s) => s.tag === 'MS3');

  const statuses: StatusItem[] = [];
  let lx = '';
  for (const s of firstLx === -1 ? [] : segs.slice(firstLx)) {
    if (s.tag === 'LX') lx = el(s, 1);
    else if (s.tag === 'AT7') statuses.push({ at7: s, lx });
    else if (s.tag === 'MS1') {
      const last = statuses[statuses.length - 1];
      if (last && last.lx === lx && !last.ms1) last.ms1 = s;
    }
  }

  const setLevel = attempt(itemPosition(set, '214', st), () => {
    if (!b10)
      throw fieldError('X12_MISSING_SEGMENT', 'B10', '', 'a B10 segment with the shipment identification');
    if (statuses.length === 0) {
      throw fieldError('X12_MISSING_SEGMENT', 'AT7', '', 'at least one LX loop with an AT7 shipment status');
    }
    return [];
  });
  if (setLevel.length > 0 || !b10) return setLevel;

  const shipment = firstOf([
    ['B10-02', el(b10, 2)],
    ['L11*SI', refs.get('SI')?.[0] ?? ''],
    ['L11*BM', refs.get('BM')?.[0] ?? ''],
    ['B10-01', el(b10, 1)],
  ]);
  const carrierId = el(b10, 3) || el(ms3, 1);
  const pro = el(b10, 1);
  // Shared by every status of the set (candidates are only read, never mutated).
  const common: SetCommon = {
    envelope: x12Envelope(set),
    references: { ...refsObject(refs), ...(pro ? { PRO: [pro] } : {}) },
  };
  const out: MappedItem[] = [];
  // A plain loop with its own try rather than `attempt`: this runs once per status, and the closure, the
  // array and the spread `attempt` needs cost more than mapping a status.
  for (let n = 0; n < statuses.length; n++) {
    const item = statuses[n] as StatusItem;
    const position = itemPosition(set, `LX ${item.lx || '?'} AT7 #${n + 1}`, item.at7);
    try {
      out.push({
        position,
        candidate: statusEvent(ctx, item, shipment, carrierId, common),
        context: 'AT7 → tms.status',
      });
    } catch (err) {
      out.push(rejectedItem(position, err));
    }
  }
  return out;
}

interface SetCommon {
  readonly envelope: { readonly source: string; readonly x12: unknown };
  readonly references: Record<string, string[]>;
}

function statusEvent(
  ctx: SetContext,
  item: StatusItem,
  shipmentFound: { value: string; from: string } | undefined,
  carrierId: string,
  common: SetCommon,
): Record<string, unknown> {
  const { set } = ctx;
  const at7 = item.at7;
  const code = el(at7, 1);
  if (code === '') {
    const appointment = el(at7, 3);
    throw fieldError(
      'X12_UNMAPPED_STATUS',
      'AT7-01',
      '',
      appointment
        ? `a shipment status code (AT7-03 ${appointment} is an appointment status, not a movement Dockside tracks)`
        : 'a shipment status code',
    );
  }
  const mapped = AT7_STATUS[code];
  if (!mapped) {
    throw fieldError(
      'X12_UNMAPPED_STATUS',
      'AT7-01',
      code,
      `a mapped status code (${Object.keys(AT7_STATUS).join(', ')})`,
    );
  }
  const reasonCode = el(at7, 2);
  const status: Status = reasonCode && reasonCode !== 'NS' && MOVING.has(mapped) ? 'delayed' : mapped;
  const shipment = required(
    shipmentFound,
    'B10-02',
    'a shipment identification in B10-02, L11*SI, L11*BM or B10-01',
  );
  const when = x12Instant(
    { date: el(at7, 5), time: el(at7, 6), zoneCode: el(at7, 7) },
    AT7_TIME_FIELDS,
    ctx.localZone,
  );
  const isEta = ETA_CODES.has(code);
  const occurredAt = isEta ? groupTime(set, ctx) : when.at;
  const location = locationOf(item.ms1);
  const idTime = `${el(at7, 5)}${el(at7, 6)}`;
  // Assigned field by field (same key order as before): object spreads cost ~1 µs each on Node 20,
  // and this runs once per status.
  const event: Record<string, unknown> = {
    id: `x12:214:${carrierId || set.interchange.senderId}:${shipment.value}:${code}:${idTime}`,
    type: 'tms.status',
    occurredAt,
    source: common.envelope.source,
    x12: common.envelope.x12,
    shipmentId: shipment.value,
    status,
    code,
  };
  if (location) event.location = location;
  if (isEta) event.eta = when.at;
  if (reasonCode) event.reasonCode = reasonCode;
  if (carrierId) event.carrierId = carrierId;
  if (when.precision === 'day' && !isEta) event.occurredAtPrecision = 'day';
  event.shipmentIdFrom = shipment.from;
  event.references = common.references;
  return event;
}

/** The ETA codes carry a future time; when the report was made is the group's creation time. */
function groupTime(set: TransactionSet, ctx: SetContext): string {
  return x12Instant(
    { date: set.group.date, time: set.group.time, zoneCode: '' },
    { date: 'GS04', time: 'GS05', zone: 'GS' },
    ctx.localZone,
  ).at;
}

function locationOf(ms1: Segment | undefined): string {
  if (!ms1) return '';
  // City, state, country joined by ", ", skipping empty ones.
  let place = '';
  for (let n = 1; n <= 3; n++) {
    const part = el(ms1, n);
    if (part) place = place ? `${place}, ${part}` : part;
  }
  if (place) return place;
  const lon = el(ms1, 4);
  const lat = el(ms1, 5);
  return lat && lon ? `lat ${lat}${el(ms1, 7)} lon ${lon}${el(ms1, 6)}` : '';
}
