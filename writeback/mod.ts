// Public entry of the write-back module. So far: the pure policy decision; approvals, RBAC, the
// decision log, the CRM outbox and rollback are the write-back issue's work.
export { type ApprovalStep, type Decision, decideWriteback, type FieldChange } from './decide.ts';
