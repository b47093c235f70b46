import { RejectError } from '../../core/mod.ts';
import { fieldError } from '../files/record.ts';
import { x12Instant } from './datetime.ts';
import {
  attempt,
  collectParties,
  collectRefs,
  el,
  firstOf,
  itemPosition,
  type MappedItem,
  partyKey,
  refsObject,
  required,
  type SetContext,
  x12Envelope,
  x12Number,
} from './set-context.ts';
import type { Segment } from './tokenizer.ts';

/**
 * 945 warehouse shipping advice → one `wms.ship_scan` for the order, plus one `wms.pick` per W12
 * line with qtyOrdered = W12-02 and qtyPicked = W12-03 (units shipped), so the detector sees short
 * shipments. The 945 is sent by the warehouse, so without an N1*WH/N1*SF party the interchange
 * sender (ISA-06) is the warehouse.
 */
export function map945(ctx: SetContext): MappedItem[] {
  const { set } = ctx;
  const segs = set.segments;
  const st = segs[0];
  if (!st) return [];
  const w06 = segs.find((s) => s.tag === 'W06');
  const parties = collectParties(segs);
  const refs = collectRefs(segs, 'N9', 2, 1);
  const lines = collectLines(segs);
  const position = itemPosition(set, '945', w06 ?? st);

  let base: { shipmentId: string; warehouseId: string; occurredAt: string } | undefined;
  const out = attempt(position, () => {
    if (!w06)
      throw fieldError('X12_MISSING_SEGMENT', 'W06', '', 'a W06 warehouse shipment identification segment');
    if (lines.length === 0)
      throw fieldError('X12_MISSING_SEGMENT', 'W12', '', 'at least one W12 item detail line');
    const shipment = required(
      firstOf([
        ['W06-04', el(w06, 4)],
        ['W06-02', el(w06, 2)],
        ['W06-06', el(w06, 6)],
      ]),
      'W06-04',
      'a shipment id in W06-04, a depositor order number in W06-02 or a PO in W06-06',
    );
    const warehouse = required(
      firstOf([
        ['N1*WH', partyKey(parties.find((p) => p.code === 'WH'))],
        ['N1*SF', partyKey(parties.find((p) => p.code === 'SF'))],
        ['ISA-06', set.interchange.senderId],
      ]),
      'N1*WH',
      'a warehouse party (N1*WH or N1*SF) or an interchange sender',
    );
    const g62 = segs.find((s) => s.tag === 'G62' && el(s, 1) === '11');
    const when = g62
      ? x12Instant(
          { date: el(g62, 2), time: el(g62, 4), zoneCode: el(g62, 5) },
          { date: 'G62*11-02', time: 'G62*11-04', zone: 'G62*11-05' },
          ctx.localZone,
        )
      : x12Instant(
          { date: el(w06, 3), time: '', zoneCode: '' },
          { date: 'W06-03', time: '', zone: '' },
          ctx.localZone,
        );
    // A bad W12 line is rejected on its own (as its wms.pick below); the scan still says the order left.
    const parsed = lines.flatMap(tryLine);
    base = { shipmentId: shipment.value, warehouseId: warehouse.value, occurredAt: when.at };
    const w27 = segs.find((s) => s.tag === 'W27');
    const carrierId = el(w27, 2);
    return {
      position,
      context: '945 → wms.ship_scan',
      candidate: {
        id: `x12:945:${set.interchange.senderId}:${shipment.value}:ship_scan`,
        type: 'wms.ship_scan',
        occurredAt: when.at,
        ...x12Envelope(set),
        shipmentId: shipment.value,
        warehouseId: warehouse.value,
        shipmentIdFrom: shipment.from,
        warehouseIdFrom: warehouse.from,
        ...(when.precision === 'day' ? { occurredAtPrecision: 'day' } : {}),
        ...(g62 ? {} : { occurredAtFrom: 'W06-03 (no G62*11 shipped date)' }),
        ...(el(w06, 2) ? { orderId: el(w06, 2) } : {}),
        ...(el(w06, 6) ? { purchaseOrder: el(w06, 6) } : {}),
        ...(carrierId ? { carrierId } : {}),
        references: refsObject(refs),
        lines: parsed.map((l) => ({
          sku: l.sku,
          qtyOrdered: l.qtyOrdered,
          qtyShipped: l.qtyShipped,
          ...(l.uom ? { uom: l.uom } : {}),
        })),
        qtyOrdered: parsed.reduce((a, l) => a + l.qtyOrdered, 0),
        qtyShipped: parsed.reduce((a, l) => a + l.qtyShipped, 0),
        ...(parsed.length < lines.length ? { linesRejected: lines.length - parsed.length } : {}),
      },
    };
  });
  if (!base) return out;
  const shipment = base;
  for (const line of lines) {
    const pos = itemPosition(set, `LX ${line.lx || '?'} W12`, line.w12);
    out.push(
      ...attempt(pos, () => {
        const l = parseLine(line);
        return {
          position: pos,
          context: '945 W12 → wms.pick',
          candidate: {
            id: `x12:945:${set.interchange.senderId}:${shipment.shipmentId}:pick:${line.lx || line.n}`,
            type: 'wms.pick',
            occurredAt: shipment.occurredAt,
            ...x12Envelope(set),
            shipmentId: shipment.shipmentId,
            warehouseId: shipment.warehouseId,
            sku: l.sku,
            qtyOrdered: l.qtyOrdered,
            qtyPicked: l.qtyShipped,
            lineStatus: el(line.w12, 1),
            ...(l.skuQualifier ? { skuQualifier: l.skuQualifier } : {}),
            ...(l.uom ? { uom: l.uom } : {}),
            ...(el(line.w12, 9) ? { lot: el(line.w12, 9) } : {}),
          },
        };
      }),
    );
  }
  return out;
}

interface Line {
  readonly w12: Segment;
  readonly lx: string;
  readonly n: number;
}

function collectLines(segs: readonly Segment[]): Line[] {
  const lines: Line[] = [];
  let lx = '';
  for (const s of segs) {
    if (s.tag === 'LX') lx = el(s, 1);
    else if (s.tag === 'W12') lines.push({ w12: s, lx, n: lines.length + 1 });
  }
  return lines;
}

function tryLine(line: Line): ReturnType<typeof parseLine>[] {
  try {
    return [parseLine(line)];
  } catch (err) {
    if (err instanceof RejectError) return [];
    throw err;
  }
}

/** W12: 02 ordered, 03 shipped, 04 difference, 05 unit, 06 UPC case code, 07/08 product id. */
function parseLine(line: Line) {
  const w12 = line.w12;
  const shippedText = el(w12, 3);
  const qtyShipped = x12Number(shippedText, 'W12-03');
  const orderedText = el(w12, 2);
  const difference = el(w12, 4);
  // 5010 made W12-02 optional; shipped + difference (W12-04) is then the ordered quantity.
  const qtyOrdered =
    orderedText !== ''
      ? x12Number(orderedText, 'W12-02')
      : difference !== ''
        ? qtyShipped + x12Number(difference, 'W12-04')
        : (() => {
            throw fieldError(
              'X12_MISSING_FIELD',
              'W12-02',
              '',
              'the quantity ordered (or W12-04, the difference)',
            );
          })();
  const sku = el(w12, 8) || el(w12, 6);
  if (!sku)
    throw fieldError(
      'X12_MISSING_FIELD',
      'W12-08',
      '',
      'a product id in W12-08 or a UPC case code in W12-06',
    );
  return { sku, skuQualifier: el(w12, 8) ? el(w12, 7) : 'UPC case', qtyOrdered, qtyShipped, uom: el(w12, 5) };
}
