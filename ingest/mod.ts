// Public entry of the ingest module.

export { convertCommand, importCommand } from './cli.ts';
export { type ConvertOptions, convertFiles, convertFilesBatched } from './convert.ts';
export { deadLettersCommand } from './dead-letters-cli.ts';
export { registerDeadLetterRoutes } from './dead-letters-http.ts';
export type { Accepted, Converted, Rejected } from './files/record.ts';
export { detectFormat, type Format, type FormatChoice } from './formats.ts';
export { registerIngestRoutes } from './http.ts';
export { IMPORT_WINDOW, type ImportSummary, importConverted } from './importer.ts';
export { ingestMigrations } from './migrations.ts';
export { startNatsIngest } from './nats-adapter.ts';
export { PublishWindow } from './publish-window.ts';
export { EventPublisher, type SubmitResult } from './publisher.ts';
export { registerQualityRoutes, scanCoverage, sourceQuality } from './quality.ts';
export { type AlertBudget, alertBudget, type BudgetRow } from './quality-budget.ts';
export { type FeedDeclarations, type FeedReport, feedReports } from './quality-feeds.ts';
export { type FindingGroup, findingGroups } from './quality-findings.ts';
export { type QualityReply, qualityReply } from './quality-schema.ts';
export { type EventRow, type FindingRow, startIngestSinks } from './sinks.ts';

import { querySchema as deadLetterQuery } from './dead-letters-http.ts';
import { sinceSchema as qualityQuery, qualityReply as qualityReplySchema } from './quality-schema.ts';
/** The zod schemas the ingest routes validate with and answer (the API docs are generated from them). */
export const ingestRequestSchemas = { deadLetterQuery, qualityQuery, qualityReply: qualityReplySchema };
