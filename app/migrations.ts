import type { Migration } from '../core/mod.ts';
import { exceptionMigrations } from '../exceptions/mod.ts';
import { forecastingMigrations } from '../forecasting/mod.ts';
import { ingestMigrations } from '../ingest/mod.ts';
import { writebackMigrations } from '../writeback/mod.ts';

/** Every module's own migrations (core's are applied by `migrate` itself): one list for start-up and the DDL tests. */
export const moduleMigrations: readonly Migration[] = [
  ...exceptionMigrations,
  ...forecastingMigrations,
  ...ingestMigrations,
  ...writebackMigrations,
];
