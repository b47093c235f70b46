import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { query } from 'chdb';
import { describe, expect, it } from 'vitest';
import { loadPolicy, partitionOf } from '../../core/mod.ts';
import { replayLines } from '../../exceptions/mod.ts';
import { testData } from '../helpers/env.ts';
import { TEMPLATE_POLICY } from './support/runs.ts';

const DATA = path.join(testData, 'olist');

/**
 * Acceptance: replaying the Olist orders (converted by ingest's CSV mapping, sorted by event time) yields
 * late_delivery and late_scan counts equal to counts computed straight from the CSV files by an
 * independent ClickHouse query (no Dockside code on that side). Every order counts, including those whose
 * promised delivery day is before their ship-by time (each promise is checked on its own). Olist sends no
 * PODs, so the detector learns that and raises no missing_pod.
 */
const independentCounts = `
WITH
  items AS (
    SELECT order_id, min(parseDateTimeBestEffort(toString(shipping_limit_date))) AS ship_by
    FROM file('${DATA}/olist_subset10k_order_items.csv', CSVWithNames) GROUP BY order_id),
  orders AS (
    SELECT order_id, order_status AS status,
      parseDateTimeBestEffort(toString(order_purchase_timestamp)) AS purchased,
      parseDateTimeBestEffortOrNull(toString(order_approved_at)) AS approved,
      parseDateTimeBestEffortOrNull(toString(order_delivered_carrier_date)) AS carrier,
      parseDateTimeBestEffortOrNull(toString(order_delivered_customer_date)) AS delivered,
      parseDateTimeBestEffort(toString(order_estimated_delivery_date)) + INTERVAL 86399 SECOND AS deliver_by
    FROM file('${DATA}/olist_subset10k_orders.csv', CSVWithNames)),
  cancels AS (
    SELECT order_id, if(approved IS NOT NULL AND approved > purchased, approved, purchased) AS cancelled_at
    FROM orders WHERE status IN ('canceled', 'unavailable')),
  last_event AS (
    SELECT max(t) AS end FROM (
      SELECT purchased AS t FROM orders UNION ALL SELECT assumeNotNull(carrier) FROM orders WHERE carrier IS NOT NULL
      UNION ALL SELECT assumeNotNull(delivered) FROM orders WHERE delivered IS NOT NULL
      UNION ALL SELECT cancelled_at FROM cancels)),
  committed AS (
    SELECT o.*, i.ship_by, i.ship_by + INTERVAL 60 MINUTE AS scan_deadline, c.cancelled_at
    FROM orders o JOIN items i USING order_id LEFT JOIN cancels c USING order_id
    SETTINGS join_use_nulls = 1)
SELECT
  countIf(NOT (carrier IS NOT NULL AND carrier <= scan_deadline)
          AND NOT (cancelled_at IS NOT NULL AND cancelled_at <= scan_deadline)
          AND scan_deadline <= (SELECT end FROM last_event)) AS late_scan,
  countIf(delivered IS NOT NULL AND delivered > deliver_by) AS late_delivery,
  countIf(deliver_by < ship_by) AS inconsistent,
  countIf(deliver_by < ship_by AND delivered IS NOT NULL AND delivered > deliver_by) AS late_inconsistent
FROM committed`;

describe('Olist orders replay', () => {
  it('late_scan and late_delivery equal the counts computed directly from the CSV; no missing_pod', async () => {
    // Converted by the ingest CLI exactly as a user would (orders without items are rejected there).
    const converted = spawnSync(
      process.execPath,
      [
        'bin/dockside.js',
        'convert',
        '--format',
        'csv',
        '--mapping',
        'mappings/olist.yaml',
        `${DATA}/olist_subset10k_orders.csv`,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    const lines = converted.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((line) => ({ t: Date.parse(String(JSON.parse(line).occurredAt)), line }));
    expect(lines.length).toBeGreaterThan(29_000);
    lines.sort((a, b) => a.t - b.t);
    const { summary } = await replayLines(
      lines.map((l) => l.line),
      { policy: loadPolicy(TEMPLATE_POLICY), partitions: 8, partitionOf, allowedLatenessMs: 30_000 },
    );
    const [want] = JSON.parse(
      `[${query(independentCounts, 'JSONEachRow').trim().split('\n').join(',')}]`,
    ) as unknown[];
    const counts = want as Record<
      'late_scan' | 'late_delivery' | 'inconsistent' | 'late_inconsistent',
      number | string
    >;
    expect(Number(counts.late_scan)).toBeGreaterThan(500);
    expect(Number(counts.late_delivery)).toBeGreaterThan(300);
    // The subset holds orders promised for delivery before their ship-by time, some of them delivered late.
    expect(Number(counts.inconsistent)).toBeGreaterThan(0);
    expect(Number(counts.late_inconsistent)).toBeGreaterThan(0);
    expect(summary.problems.filter((p) => p.code.startsWith('COMMITMENT_'))).toEqual([]);
    expect(summary.byType.late_scan).toBe(Number(counts.late_scan));
    expect(summary.byType.late_delivery).toBe(Number(counts.late_delivery));
    // Olist has no proof-of-delivery messages: the feed is learned to send none, the rule stays quiet.
    expect(summary.byType.missing_pod ?? 0).toBe(0);
    // …and says why: the feed is reported as sending no PODs, with what it did report.
    const olist = summary.feeds.find((f) => f.source === 'olist');
    expect(olist).toMatchObject({ pod: 'none', missingPod: 'off', pods: 0 });
    expect(olist?.deliveries).toBeGreaterThan(9_000);
    expect(olist?.text).toBe('source olist sends no PODs: missing_pod is off for it');
    expect(summary.findings.COMMITMENT_INCONSISTENT).toBe(Number(counts.inconsistent));
  }, 120_000);
});
