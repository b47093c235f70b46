import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { fieldIssues, formatIssues, RejectError } from '../core/mod.ts';
import { parseDay } from './days.ts';
import { calendarRegressors } from './holidays.ts';
import { buildSeries, type LaneSeries, type VolumeRow } from './series.ts';

/**
 * Lane series from the Olist e-commerce CSVs: a lane is `seller_state>customer_state`, its volume on a
 * day the number of distinct orders purchased that day with at least one item shipped on that lane (an
 * order with items from sellers in two states counts on both lanes). `TOTAL` is the number of distinct
 * orders with items per day. All series share the data's calendar, zero-filled, with the Brazilian
 * `holiday` and `promo` (Black Friday) flags as regressors.
 */
export const OLIST_FILES = {
  orders: 'olist_subset10k_orders.csv',
  items: 'olist_subset10k_order_items.csv',
  sellers: 'olist_sellers_dataset.csv',
  customers: 'olist_subset10k_customers.csv',
} as const;
export const TOTAL_LANE = 'TOTAL';

const orderRow = z.looseObject({
  order_id: z.string().min(1),
  customer_id: z.string().min(1),
  order_purchase_timestamp: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]/, 'a timestamp YYYY-MM-DD HH:MM:SS'),
});
const itemRow = z.looseObject({ order_id: z.string().min(1), seller_id: z.string().min(1) });
const sellerRow = z.looseObject({ seller_id: z.string().min(1), seller_state: z.string().min(1) });
const customerRow = z.looseObject({ customer_id: z.string().min(1), customer_state: z.string().min(1) });

export type OlistTexts = Record<keyof typeof OLIST_FILES, string>;

export function olistSeries(texts: OlistTexts): LaneSeries[] {
  const orders = rows(texts.orders, orderRow, OLIST_FILES.orders);
  const items = rows(texts.items, itemRow, OLIST_FILES.items);
  const sellerState = new Map(
    rows(texts.sellers, sellerRow, OLIST_FILES.sellers).map((r) => [r.seller_id, r.seller_state]),
  );
  const customerState = new Map(
    rows(texts.customers, customerRow, OLIST_FILES.customers).map((r) => [r.customer_id, r.customer_state]),
  );
  const orderById = new Map(orders.map((o) => [o.order_id, o]));
  const perLaneDay = new Map<string, Set<string>>();
  const add = (lane: string, day: number, orderId: string) => {
    const key = `${lane}\u0000${day}`;
    let set = perLaneDay.get(key);
    if (!set) {
      set = new Set();
      perLaneDay.set(key, set);
    }
    set.add(orderId);
  };
  let firstDay = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const order = orderById.get(item.order_id);
    const seller = sellerState.get(item.seller_id);
    const customer = order ? customerState.get(order.customer_id) : undefined;
    if (!order || !seller || !customer) continue;
    const day = parseDay(order.order_purchase_timestamp.slice(0, 10));
    if (day === undefined) continue;
    firstDay = Math.min(firstDay, day);
    add(`${seller}>${customer}`, day, order.order_id);
    add(TOTAL_LANE, day, order.order_id);
  }
  const volumeRows: VolumeRow[] = [];
  for (const [key, set] of perLaneDay) {
    const [lane = '', day = '0'] = key.split('\u0000');
    volumeRows.push({ lane, warehouse: '', day: Number(day), volume: set.size });
  }
  return buildSeries(volumeRows, { start: firstDay }).map((s) => ({
    ...s,
    regressors: calendarRegressors('BR', s.start, s.values.length),
  }));
}

function rows<T extends z.ZodType>(text: string, schema: T, file: string): z.output<T>[] {
  const raw: unknown = parse(text, { columns: true, skip_empty_lines: true, bom: true });
  const parsed = z.array(schema).safeParse(raw);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error, raw).slice(0, 5);
    throw new RejectError('OLIST_CSV_INVALID', `${file}: ${formatIssues(issues)}`, issues, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
