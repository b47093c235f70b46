// The decision log (audit): entries, hash chains, JetStream appenders, the ClickHouse sink, verify and export.
export {
  type AppenderDeps,
  type AppenderOptions,
  ChainAppender,
  type StoredHead,
} from './appender.ts';
export { type AuditBlock, auditBlockSchema } from './block.ts';
export {
  type ChainHead,
  type ChainProblem,
  type ChainSummary,
  ChainVerifier,
  chainEntries,
  describeProblem,
  emptyHead,
  verifyChain,
} from './chain.ts';
export { auditCommand } from './cli.ts';
export {
  type AuditEntry,
  auditEntrySchema,
  auditKinds,
  canonicalJson,
  type EntryInput,
  entryHash,
  GENESIS,
} from './entry.ts';
export {
  AuditAppendError,
  AuditBlockInvalidError,
  AuditBlockTooLargeError,
  ChainFencedError,
} from './errors.ts';
export { type AuditRange, countAudit, exportAudit } from './export.ts';
export { registerAuditRoutes } from './http.ts';
export { AuditLog } from './log.ts';
export { applyRetention, auditMigrations, currentRetention } from './migrations.ts';
export { type AuditNames, auditNames, chainFor, SYS_CHAIN } from './names.ts';
export { type AuditQuery, auditQuerySchema, queryAudit } from './query.ts';
export { DEFAULT_RETAIN_DAYS, ensureAuditStream, retainDaysOf } from './resources.ts';
export { type AuditSinkDeps, startAuditSink } from './sink.ts';
export { type AuditReport, type BadEntry, lastLoggedHead, verifyAudit } from './verify.ts';
