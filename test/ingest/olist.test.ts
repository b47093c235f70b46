import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Converted, convertFiles } from '../../ingest/convert.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { loadMapping } from '../../ingest/files/mapping.ts';
import { byId, collect, eventsOf, rejectionsOf } from './support/collect.ts';
import { repoRoot, sharedData } from './support/paths.ts';

const dir = path.join(sharedData, 'olist');
const ordersFile = path.join(dir, 'olist_subset10k_orders.csv');

/** The test's own reading of the CSVs (csv-parse/sync, whole file): the expectations are computed from it. */
function table(file: string): Record<string, string>[] {
  return z
    .array(z.record(z.string(), z.string()))
    .parse(parse(readFileSync(path.join(dir, file)), { columns: true }));
}

const orders = table('olist_subset10k_orders.csv');
const items = table('olist_subset10k_order_items.csv');
const withItems = new Set(items.map((i) => i.order_id));

let results: Converted[];
beforeAll(async () => {
  const mapping = await loadMapping(path.join(repoRoot, 'mappings/olist.yaml'));
  results = await collect(
    convertFiles([ordersFile], { format: 'auto', mapping, localZone: parseZone('UTC') }),
  );
});

describe('Olist export via mappings/olist.yaml', () => {
  it('holds the 10,000 orders the acceptance speaks of', () => {
    expect(orders).toHaveLength(10_000);
  });

  it('commitments, ship scans, deliveries and cancellations match counts computed from the CSVs', () => {
    const count = (type: string, status?: string) =>
      eventsOf(results).filter((e) => e.type === type && (status === undefined || e.status === status))
        .length;
    expect(count('shipment.committed')).toBe(orders.filter((o) => withItems.has(o.order_id ?? '')).length);
    expect(count('wms.ship_scan')).toBe(orders.filter((o) => o.order_delivered_carrier_date !== '').length);
    expect(count('tms.status', 'delivered')).toBe(
      orders.filter((o) => o.order_delivered_customer_date !== '').length,
    );
    expect(count('shipment.cancelled')).toBe(
      orders.filter((o) => ['canceled', 'unavailable'].includes(o.order_status ?? '')).length,
    );
  });

  it('every order is accounted for, and each rejection names its field and reason', () => {
    const rejections = rejectionsOf(results);
    const noItems = orders.filter((o) => !withItems.has(o.order_id ?? ''));
    const deliveredWithoutTime = orders.filter(
      (o) => o.order_status === 'delivered' && o.order_delivered_customer_date === '',
    );
    expect(rejections).toHaveLength(noItems.length + deliveredWithoutTime.length);
    expect(rejections.filter((r) => r.code === 'OLIST_NO_ITEMS')).toHaveLength(noItems.length);
    for (const r of rejections.filter((x) => x.code === 'OLIST_NO_ITEMS')) {
      expect(r.reason).toMatch(
        /^order_items: got "no rows for order_id [0-9a-f]{32}", expected at least one item/,
      );
    }
    expect(rejections.filter((r) => r.code === 'OLIST_MISSING_TIME').map((r) => r.raw.split(',')[0])).toEqual(
      deliveredWithoutTime.map((o) => o.order_id),
    );

    const seen = new Set<string>();
    for (const e of eventsOf(results)) seen.add(String(e.shipmentId));
    for (const r of rejections) seen.add(r.raw.split(',')[0] ?? '');
    expect(orders.filter((o) => !seen.has(o.order_id ?? ''))).toEqual([]);
  });

  it('maps one order field by field (join with items, customers and sellers)', () => {
    const events = eventsOf(results);
    // The first order of the file, checked by hand against the four CSVs.
    expect(byId(events, 'olist:e481f51cbdc54678b7cc49136f2d6af7:committed')).toMatchObject({
      type: 'shipment.committed',
      occurredAt: '2017-10-02T10:56:33-03:00',
      shipmentId: 'e481f51cbdc54678b7cc49136f2d6af7',
      customerId: '7c396fd4830fd04220f754e42b4e5bff',
      customerTier: 'tier3',
      warehouseId: '3504c0cb71d7fa48d967e0e4c94d59d9',
      lane: 'SP>SP',
      promisedShipBy: '2017-10-06T11:07:15-03:00',
      promisedDeliverBy: '2017-10-18T23:59:59-03:00',
      lines: [{ sku: '87285b34884572647811a353c7ac498a', qty: 1 }],
    });
    expect(byId(events, 'olist:e481f51cbdc54678b7cc49136f2d6af7:ship_scan')).toMatchObject({
      occurredAt: '2017-10-04T19:55:00-03:00',
      warehouseId: '3504c0cb71d7fa48d967e0e4c94d59d9',
    });
    expect(byId(events, 'olist:e481f51cbdc54678b7cc49136f2d6af7:delivered')).toMatchObject({
      type: 'tms.status',
      status: 'delivered',
      occurredAt: '2017-10-10T21:25:13-03:00',
    });
  });

  it('lanes are seller state > customer state, tiers follow the order-value rule', () => {
    const committed = eventsOf(results).filter((e) => e.type === 'shipment.committed');
    expect(committed.every((e) => /^[A-Z]{2}>[A-Z]{2}$/.test(String(e.lane)))).toBe(true);
    const value = new Map<string, number>();
    for (const i of items)
      value.set(
        i.order_id ?? '',
        (value.get(i.order_id ?? '') ?? 0) + Number(i.price) + Number(i.freight_value),
      );
    for (const e of committed) {
      const v = value.get(String(e.shipmentId)) ?? Number.NaN;
      expect(e.customerTier).toBe(v >= 500 ? 'tier1' : v >= 150 ? 'tier2' : 'tier3');
    }
  });
});
