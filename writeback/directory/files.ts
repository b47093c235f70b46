import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../core/mod.ts';
import { type ParseResult, parseCustomers } from './parse.ts';
import type { CustomerEntry } from './types.ts';

/**
 * Reads DOCKSIDE_CUSTOMERS_FILE for start-up. Any rejected line stops start-up with a ConfigError naming the
 * key, the line and the field (a half-loaded directory would silently send owners' approvals nowhere);
 * duplicates are only warnings (the later line wins) and are returned for the caller to log.
 */
export async function loadCustomersFile(
  file: string,
  key = 'DOCKSIDE_CUSTOMERS_FILE',
): Promise<ParseResult<CustomerEntry>> {
  const text = await readConfigFile(file, key);
  const parsed = parseCustomers(text, { format: formatOfName(file), source: `file:${path.basename(file)}` });
  if (parsed.rejects.length > 0) throw rejectsError(key, file, parsed.rejects);
  return parsed;
}

export async function readConfigFile(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(
      key,
      `${key}=${file} cannot be read (${why}), expected a readable NDJSON or CSV file`,
      {
        cause,
      },
    );
  }
}

export function rejectsError(
  key: string,
  file: string,
  rejects: readonly { readonly message: string }[],
): ConfigError {
  const shown = rejects.slice(0, 5).map((r) => `  ${r.message}`);
  const more = rejects.length > 5 ? [`  … and ${rejects.length - 5} more`] : [];
  return new ConfigError(
    key,
    [`${key}=${file}: ${rejects.length} line problem(s), nothing loaded:`, ...shown, ...more].join('\n'),
  );
}

/** `.csv` is CSV, `.ndjson`/`.jsonl` NDJSON; anything else is detected from the content. */
export function formatOfName(file: string): 'auto' | 'csv' | 'ndjson' {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.ndjson' || ext === '.jsonl' ? 'ndjson' : 'auto';
}
