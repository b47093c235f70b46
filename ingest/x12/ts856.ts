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
 * 856 ship notice → one `wms.ship_scan` per transaction set (the ASN says the shipment left), plus a
 * `wms.pick` per item whose SN1 carries the ordered quantity (SN1-05), for short-ship detection.
 * No `shipment.committed`: an ASN is sent after shipping and carries no customer tier or promise.
 */
export function map856(ctx: SetContext): MappedItem[] {
  const { set } = ctx;
  const segs = set.segments;
  const st = segs[0];
  if (!st) return [];
  const bsn = segs.find((s) => s.tag === 'BSN');
  const refs = collectRefs(segs, 'REF', 2, 1);
  const prf = segs
    .filter((s) => s.tag === 'PRF')
    .map((s) => el(s, 1))
    .filter(Boolean);
  const parties = collectParties(segs);
  const items = collectItems(segs);
  const position = itemPosition(set, '856', bsn ?? st);

  let shipmentId = '';
  let warehouseId = '';
  const out = attempt(position, () => {
    if (!bsn) throw fieldError('X12_MISSING_SEGMENT', 'BSN', '', 'a BSN beginning segment');
    const shipment = required(
      firstOf([
        ['BSN-02', el(bsn, 2)],
        ['REF*BM', refs.get('BM')?.[0] ?? ''],
        ['REF*CN', refs.get('CN')?.[0] ?? ''],
        ['REF*PK', refs.get('PK')?.[0] ?? ''],
        ['PRF-01', prf[0] ?? ''],
      ]),
      'BSN-02',
      'a shipment id in BSN-02, REF*BM, REF*CN, REF*PK or PRF-01',
    );
    const warehouse = required(
      firstOf([
        ['N1*SF', partyKey(parties.find((p) => p.code === 'SF'))],
        ['N1*WH', partyKey(parties.find((p) => p.code === 'WH'))],
        ['ISA-06', set.interchange.senderId],
      ]),
      'N1*SF',
      'a ship-from party (N1*SF or N1*WH) or an interchange sender',
    );
    const shipped = segs.find((s) => s.tag === 'DTM' && el(s, 1) === '011');
    const when = shipped
      ? x12Instant(
          { date: el(shipped, 2), time: el(shipped, 3), zoneCode: el(shipped, 4) },
          { date: 'DTM*011-02', time: 'DTM*011-03', zone: 'DTM*011-04' },
          ctx.localZone,
        )
      : x12Instant(
          { date: el(bsn, 3), time: el(bsn, 4), zoneCode: '' },
          { date: 'BSN-03', time: 'BSN-04', zone: 'BSN' },
          ctx.localZone,
        );
    const eta = segs.find((s) => s.tag === 'DTM' && el(s, 1) === '017');
    const estimatedDeliveryAt = eta
      ? x12Instant(
          { date: el(eta, 2), time: el(eta, 3), zoneCode: el(eta, 4) },
          { date: 'DTM*017-02', time: 'DTM*017-03', zone: 'DTM*017-04' },
          ctx.localZone,
        ).at
      : undefined;
    const carrierId = el(
      segs.find((s) => s.tag === 'TD5'),
      3,
    );
    shipmentId = shipment.value;
    warehouseId = warehouse.value;
    const lines = items.map((i) => ({
      sku: i.sku,
      qty: x12Number(i.shipped, `SN1-02 of HL ${i.hl}`),
      ...(i.uom ? { uom: i.uom } : {}),
    }));
    return {
      position,
      context: '856 → wms.ship_scan',
      candidate: {
        id: `x12:856:${set.interchange.senderId}:${shipment.value}:ship_scan`,
        type: 'wms.ship_scan',
        occurredAt: when.at,
        ...x12Envelope(set),
        shipmentId: shipment.value,
        warehouseId: warehouse.value,
        shipmentIdFrom: shipment.from,
        warehouseIdFrom: warehouse.from,
        ...(when.precision === 'day' ? { occurredAtPrecision: 'day' } : {}),
        ...(shipped ? {} : { occurredAtFrom: 'BSN-03/04 (no DTM*011 shipped date)' }),
        ...(estimatedDeliveryAt ? { estimatedDeliveryAt } : {}),
        ...(carrierId ? { carrierId } : {}),
        ...(prf.length ? { purchaseOrders: prf } : {}),
        references: refsObject(refs),
        lines,
      },
    };
  });
  if (!shipmentId) return out;

  const shippedAt = out.find((o) => 'candidate' in o);
  const occurredAt = shippedAt && 'candidate' in shippedAt ? shippedAt.candidate.occurredAt : undefined;
  for (const item of items) {
    if (item.ordered === '') continue;
    const pos = itemPosition(set, `HL ${item.hl} SN1`, item.segment);
    out.push(
      ...attempt(pos, () => ({
        position: pos,
        context: '856 SN1 → wms.pick',
        candidate: {
          id: `x12:856:${set.interchange.senderId}:${shipmentId}:pick:${item.hl}`,
          type: 'wms.pick',
          occurredAt,
          ...x12Envelope(set),
          shipmentId,
          warehouseId,
          sku: item.sku,
          qtyOrdered: x12Number(item.ordered, 'SN1-05'),
          qtyPicked: x12Number(item.shipped, 'SN1-02'),
          ...(item.uom ? { uom: item.uom } : {}),
        },
      })),
    );
  }
  return out;
}

interface Item {
  readonly hl: string;
  readonly sku: string;
  readonly shipped: string;
  readonly ordered: string;
  readonly uom: string;
  readonly segment: Segment;
}

/** HL item loops: LIN (first product id pair) + SN1 (units shipped, unit, units ordered). */
function collectItems(segs: readonly Segment[]): Item[] {
  const items: Item[] = [];
  let hl = '';
  let sku = '';
  for (const s of segs) {
    if (s.tag === 'HL') {
      hl = el(s, 1);
      sku = '';
    } else if (s.tag === 'LIN') sku = el(s, 3);
    else if (s.tag === 'SN1') {
      items.push({ hl, sku, shipped: el(s, 2), ordered: el(s, 5), uom: el(s, 3), segment: s });
    }
  }
  return items;
}
