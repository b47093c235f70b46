import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

/**
 * Truck capacity per lane and carrier: the units one truck holds (the unit of the shipments' `units`),
 * declared in a YAML or JSON file (DOCKSIDE_CAPACITY_FILE), read once at start. Lanes and carriers not
 * listed are learned from `tms.tender` events carrying `capacity` (forecasting/truck-capacity.ts).
 *
 *   trucks:
 *     - { lane: "SP>RJ", capacity: 26 }                   # any carrier on the lane
 *     - { lane: "SP>RJ", carrier: CARR-1, capacity: 33 }  # this carrier on the lane
 */
export const capacityEnvShape = {
  /** Path of the truck capacity file (YAML or JSON); unset = capacities are learned from tenders only. */
  DOCKSIDE_CAPACITY_FILE: z.string().min(1).optional(),
};

const entrySchema = z.strictObject({
  lane: z.string().min(1).max(512),
  carrier: z.string().min(1).max(256).optional(),
  capacity: z.number().finite().positive(),
});

const capacityFileSchema = z.strictObject({ trucks: z.array(entrySchema).max(100_000).nullish() });

export interface CapacityEntry {
  readonly lane: string;
  /** Absent: any carrier on the lane. */
  readonly carrier?: string;
  /** Units one truck holds (> 0). */
  readonly capacity: number;
}

export interface CapacityConfig {
  /** The file the capacities were read from (absent: none declared). */
  readonly file?: string;
  readonly trucks: readonly CapacityEntry[];
}

/** Nothing declared: every capacity is learned from tenders. */
export const NO_CAPACITY: CapacityConfig = Object.freeze({ trucks: Object.freeze([]) });

export function capacityConfig(e: { DOCKSIDE_CAPACITY_FILE?: string | undefined }): CapacityConfig {
  if (!e.DOCKSIDE_CAPACITY_FILE) return NO_CAPACITY;
  const file = path.resolve(e.DOCKSIDE_CAPACITY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('DOCKSIDE_CAPACITY_FILE', `DOCKSIDE_CAPACITY_FILE=${file}: cannot read the file`, {
      cause,
    });
  }
  return parseCapacity(text, file);
}

/** Parses the text of a capacity file; errors name the file, the field (`trucks.2.capacity`), value and expectation. */
export function parseCapacity(text: string, file: string): CapacityConfig {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(
      'DOCKSIDE_CAPACITY_FILE',
      `DOCKSIDE_CAPACITY_FILE=${file}: not valid YAML or JSON`,
      {
        cause,
      },
    );
  }
  const parsed = capacityFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      'DOCKSIDE_CAPACITY_FILE',
      `DOCKSIDE_CAPACITY_FILE=${file}: ${formatIssues(fieldIssues(parsed.error, data))}`,
      { cause: parsed.error },
    );
  }
  const trucks = parsed.data.trucks ?? [];
  const seen = new Map<string, number>();
  trucks.forEach((t, i) => {
    const key = `${t.lane}\u001f${t.carrier ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(
        'DOCKSIDE_CAPACITY_FILE',
        `DOCKSIDE_CAPACITY_FILE=${file}: trucks.${i}: got lane ${JSON.stringify(t.lane)}${t.carrier ? ` carrier ${JSON.stringify(t.carrier)}` : ''} again, expected one entry per lane and carrier (first at trucks.${first})`,
      );
    }
    seen.set(key, i);
  });
  return {
    file,
    trucks: trucks.map((t) => ({
      lane: t.lane,
      ...(t.carrier ? { carrier: t.carrier } : {}),
      capacity: t.capacity,
    })),
  };
}
