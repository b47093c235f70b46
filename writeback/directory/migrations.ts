import type { Migration } from '../../core/mod.ts';

/**
 * The customer directory table (write-back owns versions 40-49; this is 41). One row per import of a
 * customer; the latest `imported_at` wins (ReplacingMergeTree), so a re-import updates and reads use FINAL.
 * `deleted = 1` rows are tombstones: the customer left the directory. No TTL: it is reference data.
 */
export const directoryMigrations: readonly Migration[] = [
  {
    version: 41,
    name: 'customer directory',
    statements: [
      {
        table: 'customers',
        columns: `customer_id String, crm_account_id String, crm_external_id String, owner_user_id String,
        region LowCardinality(String), tier LowCardinality(String), name String,
        owner_email String, contact_email String, attributes Map(String, String),
        source String, imported_at DateTime64(3, 'UTC'), deleted UInt8`,
        engine: 'ReplacingMergeTree',
        engineArgs: ['imported_at'],
        orderBy: 'customer_id',
        shardBy: 'cityHash64(customer_id)',
      },
    ],
  },
];
