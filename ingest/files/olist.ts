import { createReadStream } from 'node:fs';
import path from 'node:path';
import { numberCell, timestampCell } from './cell-values.ts';
import { readCsv } from './csv-rows.ts';
import { MappingError, type OlistMapping } from './mapping.ts';
import { type Converted, fieldError, type Origin, reject, rejectionFrom, validate } from './record.ts';

/**
 * The built-in `olist` profile: the Olist orders export joined with its items, customers and sellers.
 * Orders (the file given on the command line) are streamed; the three side tables are held in memory,
 * keyed by their join column (for this export ~15k rows). Per order:
 *   shipment.committed  at purchase (needs ≥1 item: seller = warehouse, lane, shipping limit)
 *   wms.ship_scan       at order_delivered_carrier_date, when present
 *   tms.status delivered at order_delivered_customer_date, when present
 *   shipment.cancelled  when order_status is one of `cancelledStatuses`
 * and a rejection for each of those that the data cannot support, so every order is accounted for.
 */
const ORDER_COLUMNS = [
  'order_id',
  'customer_id',
  'order_status',
  'order_purchase_timestamp',
  'order_approved_at',
  'order_delivered_carrier_date',
  'order_delivered_customer_date',
  'order_estimated_delivery_date',
] as const;
const ITEM_COLUMNS = [
  'order_id',
  'order_item_id',
  'product_id',
  'seller_id',
  'shipping_limit_date',
  'price',
  'freight_value',
];
const CUSTOMER_COLUMNS = ['customer_id', 'customer_unique_id', 'customer_city', 'customer_state'];
const SELLER_COLUMNS = ['seller_id', 'seller_state'];

type Row = Readonly<Record<string, string>>;

export interface OlistOptions {
  readonly maxRecordBytes?: number;
  readonly onBytes?: (n: number) => void;
}

export async function* convertOlist(
  file: string,
  source: AsyncIterable<Buffer | string>,
  mapping: OlistMapping,
  options: OlistOptions = {},
): AsyncGenerator<Converted> {
  const dir = path.dirname(path.resolve(file));
  const sideErrors: Converted[] = [];
  const items = await loadTable(
    path.resolve(dir, mapping.tables.items),
    ITEM_COLUMNS,
    'order_id',
    sideErrors,
  );
  const customers = await loadTable(
    path.resolve(dir, mapping.tables.customers),
    CUSTOMER_COLUMNS,
    'customer_id',
    sideErrors,
  );
  const sellers = await loadTable(
    path.resolve(dir, mapping.tables.sellers),
    SELLER_COLUMNS,
    'seller_id',
    sideErrors,
  );
  yield* sideErrors;

  for await (const item of readCsv(source, {
    ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  })) {
    if (item.kind === 'header') {
      const missing = ORDER_COLUMNS.filter((c) => !item.columns.includes(c));
      if (missing.length > 0) {
        throw new MappingError(
          file,
          `the orders CSV lacks column(s) ${missing.join(', ')}: is ${path.basename(file)} the Olist orders export?`,
        );
      }
      continue;
    }
    if (item.kind === 'error') {
      yield reject({ file, position: `line ${item.line}`, raw: item.raw }, item.code, item.reason);
      continue;
    }
    const order = item.row.values;
    const orderItems = [...(items.get(order.order_id ?? '') ?? [])].sort(
      (a, b) => Number(a.order_item_id) - Number(b.order_item_id),
    );
    const ctx: OrderContext = {
      order,
      items: orderItems,
      customer: customers.get(order.customer_id ?? '')?.[0],
      sellers,
      mapping,
      origin: (what) => ({ file, position: `line ${item.row.line} (${what})`, raw: item.row.raw }),
    };
    yield* orderEvents(ctx);
  }
}

interface OrderContext {
  readonly order: Row;
  readonly items: readonly Row[];
  readonly customer: Row | undefined;
  readonly sellers: ReadonlyMap<string, readonly Row[]>;
  readonly mapping: OlistMapping;
  readonly origin: (what: string) => Origin;
}

function* orderEvents(ctx: OrderContext): Generator<Converted> {
  const { order, mapping } = ctx;
  const orderId = order.order_id ?? '';
  const at = (column: string, endOfDay = false) =>
    timestampCell(order[column] ?? '', mapping.zone, column, endOfDay);
  const status = order.order_status ?? '';

  yield attempt(ctx.origin('shipment.committed'), () => commitment(ctx, at));

  if ((order.order_delivered_carrier_date ?? '') !== '') {
    yield attempt(ctx.origin('wms.ship_scan'), () => ({
      id: `${mapping.source}:${orderId}:ship_scan`,
      type: 'wms.ship_scan',
      occurredAt: at('order_delivered_carrier_date'),
      source: mapping.source,
      shipmentId: orderId,
      warehouseId: firstSeller(ctx),
    }));
  }

  if ((order.order_delivered_customer_date ?? '') !== '') {
    const c = ctx.customer;
    yield attempt(ctx.origin('tms.status delivered'), () => ({
      id: `${mapping.source}:${orderId}:delivered`,
      type: 'tms.status',
      occurredAt: at('order_delivered_customer_date'),
      source: mapping.source,
      shipmentId: orderId,
      status: 'delivered',
      ...(c?.customer_city && c.customer_state
        ? { location: `${c.customer_city}, ${c.customer_state}` }
        : {}),
    }));
  } else if (status === 'delivered') {
    yield rejectionFrom(
      fieldError(
        'OLIST_MISSING_TIME',
        'order_delivered_customer_date',
        '',
        'the delivery time of an order whose order_status is "delivered"',
      ),
      ctx.origin('tms.status delivered'),
    );
  }

  if (mapping.cancelledStatuses.includes(status)) {
    // The export has no cancellation time: the order's last known timestamp orders it after the commitment.
    yield attempt(ctx.origin('shipment.cancelled'), () => {
      const approved = (order.order_approved_at ?? '') !== '' ? at('order_approved_at') : undefined;
      const purchased = at('order_purchase_timestamp');
      return {
        id: `${mapping.source}:${orderId}:cancelled`,
        type: 'shipment.cancelled',
        occurredAt: approved && Date.parse(approved) > Date.parse(purchased) ? approved : purchased,
        source: mapping.source,
        shipmentId: orderId,
        reason: status,
        occurredAtFrom: approved ? 'order_approved_at' : 'order_purchase_timestamp',
      };
    });
  }
}

function commitment(
  ctx: OrderContext,
  at: (column: string, endOfDay?: boolean) => string,
): Record<string, unknown> {
  const { order, items, customer, mapping } = ctx;
  const orderId = order.order_id ?? '';
  const warehouseId = firstSeller(ctx);
  if (!customer) {
    throw fieldError(
      'OLIST_NO_CUSTOMER',
      'customer_id',
      order.customer_id,
      `a customer_id present in ${mapping.tables.customers}`,
    );
  }
  const sellerState = sellerStateOf(ctx, warehouseId);
  const shipBy = items
    .map((i, n) =>
      timestampCell(i.shipping_limit_date ?? '', mapping.zone, `shipping_limit_date of item ${n + 1}`),
    )
    .reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
  const orderValue = items.reduce(
    (sum, i, n) =>
      sum +
      numberCell(i.price ?? '', `price of item ${n + 1}`) +
      numberCell(i.freight_value ?? '', `freight_value of item ${n + 1}`),
    0,
  );
  const tiers = mapping.customerTier;
  const customerTier =
    orderValue >= tiers.tier1MinOrderValue
      ? 'tier1'
      : orderValue >= tiers.tier2MinOrderValue
        ? 'tier2'
        : 'tier3';
  const qtyBySku = new Map<string, number>();
  for (const i of items) qtyBySku.set(i.product_id ?? '', (qtyBySku.get(i.product_id ?? '') ?? 0) + 1);
  return {
    id: `${mapping.source}:${orderId}:committed`,
    type: 'shipment.committed',
    occurredAt: at('order_purchase_timestamp'),
    source: mapping.source,
    shipmentId: orderId,
    orderId,
    customerId: customer[mapping.customerId],
    customerTier,
    warehouseId,
    lane: `${sellerState}>${customer.customer_state ?? ''}`,
    promisedShipBy: shipBy,
    promisedDeliverBy: at('order_estimated_delivery_date', true),
    region: customer.customer_state,
    lines: [...qtyBySku].map(([sku, qty]) => ({ sku, qty })),
    orderValue: Math.round(orderValue * 100) / 100,
    orderStatus: order.order_status,
  };
}

/** The warehouse is the seller of the order's first item (Olist sellers ship from their own premises). */
function firstSeller(ctx: OrderContext): string {
  const seller = ctx.items[0]?.seller_id ?? '';
  if (seller === '') {
    throw fieldError(
      'OLIST_NO_ITEMS',
      'order_items',
      `no rows for order_id ${ctx.order.order_id ?? ''}`,
      `at least one item in ${ctx.mapping.tables.items} (its seller is the warehouse, its shipping limit the promise)`,
    );
  }
  return seller;
}

function sellerStateOf(ctx: OrderContext, sellerId: string): string {
  const state = ctx.sellers.get(sellerId)?.[0]?.seller_state ?? '';
  if (state === '') {
    throw fieldError(
      'OLIST_NO_SELLER',
      'seller_id',
      sellerId,
      `a seller with a seller_state in ${ctx.mapping.tables.sellers}`,
    );
  }
  return state;
}

function attempt(origin: Origin, build: () => Record<string, unknown>): Converted {
  let candidate: Record<string, unknown>;
  try {
    candidate = build();
  } catch (err) {
    return rejectionFrom(err, origin);
  }
  return validate(candidate, origin, 'olist');
}

/**
 * Loads a side table keyed by `key`. A broken side-table record becomes a rejection (reported before
 * the orders), since the orders joined to it will lack what it held.
 */
async function loadTable(
  file: string,
  required: readonly string[],
  key: string,
  errors: Converted[],
): Promise<Map<string, Row[]>> {
  const table = new Map<string, Row[]>();
  let stream: AsyncIterable<Buffer | string>;
  try {
    stream = createReadStream(file);
  } catch (cause) {
    throw new MappingError(file, 'cannot open the side table', { cause });
  }
  try {
    for await (const item of readCsv(stream)) {
      if (item.kind === 'header') {
        const missing = required.filter((c) => !item.columns.includes(c));
        if (missing.length > 0)
          throw new MappingError(file, `side table lacks column(s) ${missing.join(', ')}`);
      } else if (item.kind === 'error') {
        errors.push(reject({ file, position: `line ${item.line}`, raw: item.raw }, item.code, item.reason));
      } else {
        const k = item.row.values[key] ?? '';
        const rows = table.get(k);
        if (rows) rows.push(item.row.values);
        else table.set(k, [item.row.values]);
      }
    }
  } catch (cause) {
    if (cause instanceof MappingError) throw cause;
    throw new MappingError(
      file,
      `cannot read the side table (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  return table;
}
