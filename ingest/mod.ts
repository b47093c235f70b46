// Public entry of the ingest module.
export { registerDeadLetterRoutes } from './dead-letters-http.ts';
export { registerIngestRoutes } from './http.ts';
export { startNatsIngest } from './nats-adapter.ts';
export { partitionOf } from './partition.ts';
export { EventPublisher, RECEIVED_AT_HEADER, type SubmitResult } from './publisher.ts';
export { startIngestSinks } from './sinks.ts';
