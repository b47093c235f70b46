/**
 * Table declarations and their two renderings. Each table is declared once (columns, engine kind, keys,
 * TTL, sharding key); `renderStatement` turns it into today's single-node DDL, or, when a cluster is
 * named (CLICKHOUSE_CLUSTER), into `<t>_local` as a Replicated*MergeTree `ON CLUSTER` plus a Distributed
 * table that keeps the name `<t>`, so every query and insert stays unchanged. Pure: no driver here.
 */

/** Retention classes of rows, each with its own number of days (config; the policy for decisions). */
export type RetentionClass = 'events' | 'exceptions' | 'logs' | 'decisions';

/** Days kept when nothing says otherwise; 0 keeps rows forever. */
export const DEFAULT_RETAIN_DAYS: Readonly<Record<RetentionClass, number>> = Object.freeze({
  // Forecasting reads the shipped measure from events, over 730 days of history by default.
  events: 800,
  exceptions: 365,
  logs: 90,
  decisions: 365,
});

export interface TableSpec {
  readonly table: string;
  /** Column and index definitions, as written inside CREATE TABLE's parentheses. */
  readonly columns: string;
  readonly engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree';
  /** Engine parameters (e.g. the version column); on a cluster they follow the path and replica. */
  readonly engineArgs?: readonly string[];
  readonly orderBy: string;
  readonly partitionBy?: string;
  /** Rows expire this many days (by class) after `column`, a DateTime64; rows of all versions of a key share it. */
  readonly ttl?: { readonly column: string; readonly retention: RetentionClass };
  /** How many recent insert blocks are remembered to drop a retried batch. */
  readonly dedupeWindow?: number;
  /**
   * Distributed sharding key: a hash of sort-key columns, so rows that ReplacingMergeTree merges meet on
   * one shard (FINAL stays exact), and deterministic, so a retried batch splits into the same blocks.
   */
  readonly shardBy: string;
}

export interface ViewSpec {
  readonly view: string;
  /** The table the view writes to. */
  readonly to: string;
  /** The SELECT; `from(t)` names a source table as the rendering needs it (its local table on a cluster). */
  readonly select: (from: (table: string) => string) => string;
}

/**
 * A column added to a declared table. On a cluster both the `<t>_local` tables and the Distributed `<t>`
 * need it (the Distributed table's columns were copied from the local one when it was created).
 */
export interface AddColumnSpec {
  readonly addColumnTo: string;
  /** Name, type and default, as after ADD COLUMN, e.g. `carrier_id String DEFAULT ''`. */
  readonly column: string;
}

/** A plain statement (with `{db}` for the database) runs as written on both layouts: keep DDL out of it. */
export type Statement = string | TableSpec | ViewSpec | AddColumnSpec;

/** Where and how migrations render; `Config['clickhouse']` is one. */
export interface SchemaTarget {
  readonly database: string;
  readonly cluster?: string | undefined;
  /**
   * Days per class. A class left out is created with its default and left as it is at later starts
   * (decisions: write-back applies the policy's logging.retain_days itself).
   */
  readonly retainDays?: Partial<Record<RetentionClass, number>>;
}

/** A bare database name: single node, classes created with their defaults. */
export function targetOf(target: string | SchemaTarget): SchemaTarget {
  return typeof target === 'string' ? { database: target } : target;
}

export const isTable = (s: Statement): s is TableSpec => typeof s === 'object' && 'table' in s;
const isAddColumn = (s: Statement): s is AddColumnSpec => typeof s === 'object' && 'addColumnTo' in s;

/** The table that holds the rows: `<t>_local` on a cluster, `<t>` otherwise. */
export function storageTable(target: SchemaTarget, table: string): string {
  return target.cluster ? `${table}_local` : table;
}

/** ZooKeeper/Keeper path of a replicated table; `{shard}` comes from each server's macros. */
export const replicationPath = (table: string) => `/clickhouse/tables/{shard}/{database}/${table}`;

export function retentionDays(target: SchemaTarget, cls: RetentionClass): number {
  return target.retainDays?.[cls] ?? DEFAULT_RETAIN_DAYS[cls];
}

/** The TTL expression for `days` after `column`, or undefined for 0 (kept forever). */
export function ttlExpression(column: string, days: number): string | undefined {
  if (!Number.isInteger(days) || days < 0) {
    throw new RangeError(`retention of ${column}: got ${days}, expected a whole number of days >= 0`);
  }
  return days === 0 ? undefined : `toDateTime(${column}) + INTERVAL ${days} DAY`;
}

/** The CREATE statements for one declaration, in the order they must run. */
export function renderStatement(s: Statement, target: SchemaTarget): string[] {
  const db = target.database;
  if (typeof s === 'string') return [s.replaceAll('{db}', db)];
  const onCluster = target.cluster ? ` ON CLUSTER ${quote(target.cluster)}` : '';
  if (isAddColumn(s)) {
    const alter = (t: string) => `ALTER TABLE ${db}.${t}${onCluster} ADD COLUMN IF NOT EXISTS ${s.column}`;
    const local = storageTable(target, s.addColumnTo);
    return local === s.addColumnTo ? [alter(local)] : [alter(local), alter(s.addColumnTo)];
  }
  if (!isTable(s)) {
    const from = (t: string) => `${db}.${storageTable(target, t)}`;
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${s.view}${onCluster} TO ${from(s.to)} AS ${s.select(from)}`,
    ];
  }
  const local = storageTable(target, s.table);
  const args = target.cluster
    ? [quote(replicationPath(local)), quote('{replica}'), ...(s.engineArgs ?? [])]
    : (s.engineArgs ?? []);
  const engine = `${target.cluster ? 'Replicated' : ''}${s.engine}${args.length ? `(${args.join(', ')})` : ''}`;
  const ttl = s.ttl && ttlExpression(s.ttl.column, retentionDays(target, s.ttl.retention));
  const dedupe = target.cluster ? 'replicated_deduplication_window' : 'non_replicated_deduplication_window';
  const create = [
    `CREATE TABLE IF NOT EXISTS ${db}.${local}${onCluster} (\n        ${s.columns.trim()}\n      )`,
    `ENGINE = ${engine}`,
    s.partitionBy && `PARTITION BY ${s.partitionBy}`,
    `ORDER BY ${s.orderBy}`,
    ttl && `TTL ${ttl}`,
    s.dedupeWindow !== undefined && `SETTINGS ${dedupe} = ${s.dedupeWindow}`,
  ]
    .filter(Boolean)
    .join(' ');
  if (!target.cluster) return [create];
  return [
    create,
    `CREATE TABLE IF NOT EXISTS ${db}.${s.table}${onCluster} AS ${db}.${local} ` +
      `ENGINE = Distributed(${quote(target.cluster)}, ${quote(db)}, ${quote(local)}, ${s.shardBy})`,
  ];
}

/** The statement that makes an existing table's TTL what the target asks (ALTER … MODIFY/REMOVE TTL). */
export function alterTtl(s: TableSpec, target: SchemaTarget, days: number): string {
  if (!s.ttl) throw new RangeError(`${s.table}: has no TTL column to alter`);
  const onCluster = target.cluster ? ` ON CLUSTER ${quote(target.cluster)}` : '';
  const ttl = ttlExpression(s.ttl.column, days);
  const table = `${target.database}.${storageTable(target, s.table)}${onCluster}`;
  return ttl ? `ALTER TABLE ${table} MODIFY TTL ${ttl}` : `ALTER TABLE ${table} REMOVE TTL`;
}

/**
 * The `toDateTime(col) + INTERVAL n DAY` TTL in a table's `engine_full` (ClickHouse prints the interval
 * as `toIntervalDay(n)`); undefined when it has no TTL.
 */
export function tableTtl(engineFull: string): { column: string; days: number } | undefined {
  const m = /\bTTL\s+toDateTime\((\w+)\)\s*\+\s*(?:toIntervalDay\((\d+)\)|INTERVAL\s+(\d+)\s+DAY)/i.exec(
    engineFull,
  );
  const days = m?.[2] ?? m?.[3];
  return m?.[1] && days ? { column: m[1], days: Number(days) } : undefined;
}

/** A single-quoted ClickHouse string literal. */
function quote(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
