import type { Migration } from '../core/mod.ts';
import { auditMigrations } from './audit/migrations.ts';
import { directoryMigrations } from './directory/migrations.ts';
import { shadowMigrations } from './pipeline/shadow-sink.ts';

/** The write-back module's tables (versions 40-49): decision log, customers, shadow differences. */
export const writebackMigrations: readonly Migration[] = [
  ...auditMigrations,
  ...directoryMigrations,
  ...shadowMigrations,
];
