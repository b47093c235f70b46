// Public entry of the ingest module.

export { deadLettersCommand } from './dead-letters-cli.ts';
export { registerDeadLetterRoutes } from './dead-letters-http.ts';
export { registerIngestRoutes } from './http.ts';
export { startNatsIngest } from './nats-adapter.ts';
export { partitionOf } from './partition.ts';
export { EventPublisher, PublishWindow, RECEIVED_AT_HEADER, type SubmitResult } from './publisher.ts';
export { registerQualityRoutes, scanCoverage, sourceQuality } from './quality.ts';
export { startIngestSinks } from './sinks.ts';
