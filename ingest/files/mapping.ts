import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { eventTypes, fieldIssues, formatIssues } from '../../core/mod.ts';
import { parseZone, type Zone, ZoneError } from './local-time.ts';

/**
 * The CSV mapping file (docs/ingest.md § "CSV mapping files"). Two profiles:
 *  - `columns`: one CSV, each row → one or more events, every canonical field taken from a column,
 *    a template over columns, or a constant, with typed conversion; rows may be routed by `when`.
 *  - `olist`: the built-in join over the Olist export (orders + items + customers + sellers), whose
 *    knobs (side-table files, zone, customer-tier thresholds) live in the file.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const valueKinds = [
  'string',
  'number',
  'integer',
  'boolean',
  'timestamp',
  'endOfDay',
  'list',
  'lines',
] as const;

const fieldObject = z
  .strictObject({
    column: z.string().min(1).optional(),
    template: z.string().min(1).optional(),
    value: scalar.optional(),
    as: z.enum(valueKinds).optional(),
    map: z.record(z.string(), scalar).optional(),
    default: scalar.optional(),
  })
  .refine((f) => [f.column, f.template, f.value].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of column, template or value',
  });

/** A bare string is a column name. */
export const fieldSpec = z.union([z.string().min(1), fieldObject]);
export type FieldSpec = z.output<typeof fieldSpec>;

const whenSpec = z
  .strictObject({
    column: z.string().min(1),
    in: z.array(z.string()).optional(),
    notIn: z.array(z.string()).optional(),
    present: z.boolean().optional(),
  })
  .refine((w) => [w.in, w.notIn, w.present].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of in, notIn or present',
  });
export type WhenSpec = z.output<typeof whenSpec>;

const eventSpec = z.strictObject({
  type: z.enum(eventTypes as [string, ...string[]]),
  /** Template over columns, e.g. `acme:{shipment_id}:committed`: deterministic, so re-imports dedupe. */
  id: z.string().min(1),
  occurredAt: fieldSpec,
  when: whenSpec.optional(),
  fields: z.record(z.string(), fieldSpec),
});
export type EventSpec = z.output<typeof eventSpec>;

const zoneText = z.string().min(1).default('+00:00');

export const columnsMappingSchema = z.strictObject({
  version: z.literal(1),
  profile: z.literal('columns'),
  source: z.string().min(1).max(64),
  /** Applied to timestamps without an offset: `±HH:MM` or an IANA zone. */
  timezone: zoneText,
  delimiter: z.string().length(1).default(','),
  events: z.array(eventSpec).min(1),
});

export const olistMappingSchema = z.strictObject({
  version: z.literal(1),
  profile: z.literal('olist'),
  source: z.string().min(1).max(64).default('olist'),
  timezone: zoneText,
  /** Side tables, relative to the orders CSV being converted (data lives outside the repo). */
  tables: z.strictObject({
    items: z.string().min(1),
    customers: z.string().min(1),
    sellers: z.string().min(1),
  }),
  customerId: z.enum(['customer_unique_id', 'customer_id']).default('customer_unique_id'),
  customerTier: z.strictObject({
    /** Order value = Σ item price + freight_value (BRL). */
    tier1MinOrderValue: z.number().nonnegative(),
    tier2MinOrderValue: z.number().nonnegative(),
  }),
  cancelledStatuses: z.array(z.string().min(1)).default(['canceled', 'unavailable']),
});

export const mappingSchema = z.discriminatedUnion('profile', [columnsMappingSchema, olistMappingSchema]);

export type ColumnsMapping = z.output<typeof columnsMappingSchema> & { readonly zone: Zone };
export type OlistMapping = z.output<typeof olistMappingSchema> & { readonly zone: Zone };
export type Mapping = ColumnsMapping | OlistMapping;

export class MappingError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`mapping ${file}: ${message}`, options);
    this.name = 'MappingError';
    this.file = file;
  }
}

/** Reads and validates a mapping file; every problem names the key, the value and what was expected. */
export async function loadMapping(file: string): Promise<Mapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new MappingError(file, 'cannot read the file', { cause });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new MappingError(
      file,
      `not valid YAML (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  const parsed = mappingSchema.safeParse(data);
  if (!parsed.success) {
    throw new MappingError(file, formatIssues(fieldIssues(parsed.error, data)), { cause: parsed.error });
  }
  let zone: Zone;
  try {
    zone = parseZone(parsed.data.timezone);
  } catch (cause) {
    if (cause instanceof ZoneError) throw new MappingError(file, `timezone: ${cause.message}`, { cause });
    throw cause;
  }
  const m = parsed.data;
  if (m.profile === 'olist') {
    if (m.customerTier.tier1MinOrderValue < m.customerTier.tier2MinOrderValue) {
      throw new MappingError(
        file,
        `customerTier: tier1MinOrderValue (${m.customerTier.tier1MinOrderValue}) must be >= tier2MinOrderValue (${m.customerTier.tier2MinOrderValue})`,
      );
    }
    return { ...m, zone };
  }
  return { ...m, zone };
}
