// Public entry of the write-back module: the policy decision, approvals, the decision log, the CRM outbox,
// rollback and shadow mode (docs/writeback.md).
export { type Approval, approvalStatuses } from './approvals/approval.ts';
export { auditCommand } from './audit/cli.ts';
export { type AuditEntry, entryHash, GENESIS } from './audit/entry.ts';
export { verifyAudit } from './audit/verify.ts';
export {
  type ActivePolicyRef,
  type ApprovalStep,
  type AutoAction,
  type Decision,
  decide,
  type FallbackAction,
  type FieldChange,
  type Outcome,
  outcomeKey,
  type ReasonCode,
  reasonCodes,
  ruleFor,
  writableFields,
} from './decide.ts';
export { customersCommand } from './directory/cli.ts';
export { parseCustomers } from './directory/parse.ts';
export {
  type CustomerEntry,
  customerEntrySchema,
  type UserEntry,
  userEntrySchema,
} from './directory/types.ts';
export { writebackMigrations } from './migrations.ts';
export type { IncidentLookup, IncidentRef } from './notify/incident-fold.ts';
export { type WritebackNames, writebackNames } from './pipeline/names.ts';
export { policyCommand } from './policy/cli.ts';
export { PolicyHolder } from './policy/holder.ts';
export { type ActivePolicy, activePolicyFrom, builtinActivePolicy, policyVersion } from './policy/version.ts';
export { startWriteback, type Writeback } from './runtime.ts';
export { type ComparisonReport, comparePolicies, type PolicyDifference } from './shadow.ts';

import { verifyQuery as auditVerifyQuery } from './audit/http.ts';
import { auditQuerySchema } from './audit/query.ts';
import { idParam as customerIdParam, importQuery as customerImportQuery } from './directory/http.ts';
import {
  idParam as approvalIdParam,
  listQuery as approvalListQuery,
  decisionBody,
} from './http/approvals.ts';
import { shadowQuery } from './http/policy.ts';
import { body as triggerBody, idParam as triggerIdParam } from './http/trigger.ts';
import { rollbackBody, idParam as writeIdParam, listQuery as writeListQuery } from './http/writebacks.ts';
/** The zod schemas the write-back routes validate with (the API docs are generated from them). */
export const writebackRequestSchemas = {
  auditVerifyQuery,
  auditQuerySchema,
  customerIdParam,
  customerImportQuery,
  approvalIdParam,
  approvalListQuery,
  decisionBody,
  shadowQuery,
  triggerBody,
  triggerIdParam,
  rollbackBody,
  writeIdParam,
  writeListQuery,
};
