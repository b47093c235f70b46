// Public entry of the shared home: config, errors, logger, the event contract, policy, NATS and ClickHouse clients.
export * from './batch-writer.ts';
export * from './clickhouse.ts';
export * from './config.ts';
export * from './consume.ts';
export * from './dead-letter.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './exception.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './metrics-store.ts';
export * from './migrations.ts';
export * from './nats.ts';
export * from './policy.ts';
export * from './seeded-random.ts';
export * from './sink.ts';
export * from './zod-issues.ts';
