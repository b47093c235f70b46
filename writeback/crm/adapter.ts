/**
 * What Dockside needs from a CRM. Field names here are the policy's (e.g. `ops_risk_level`); each adapter
 * maps them to its API names. Errors: TargetUnavailableError (retry later) or TargetRejectedError
 * (permanent), from writeback/errors.ts.
 */
export type FieldValue = string | number | boolean | null;

/** How a customer's account is addressed: the CRM record id, else an external id. */
export interface AccountRef {
  readonly id?: string;
  readonly externalId?: string;
}

export interface CrmTask {
  /** Dockside's action id: the idempotency key (a retried create makes one task). */
  readonly key: string;
  readonly subject: string;
  readonly description: string;
  readonly priority?: 'High' | 'Normal' | 'Low';
  /** YYYY-MM-DD */
  readonly activityDate?: string;
}

export interface CrmAccountRecord {
  readonly id: string;
  readonly externalId?: string;
  readonly name?: string;
  readonly ownerId?: string;
  /** Other selected fields by API name. */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

export interface CrmAdapter {
  /** `salesforce`, `webhook`, `sandbox`: the target name used in logs, metrics and the circuit breaker. */
  readonly target: string;
  /** The current values of the given policy fields on the account, keyed by policy name (null when empty). */
  readFields(account: AccountRef, fields: readonly string[]): Promise<Record<string, FieldValue>>;
  /** Sets the given policy fields; `idempotencyKey` identifies this write across retries. */
  writeFields(
    account: AccountRef,
    values: Readonly<Record<string, FieldValue>>,
    idempotencyKey: string,
  ): Promise<void>;
  /** Creates (or, on a retry, finds) the task for `task.key` on the account; returns the CRM's task id. */
  upsertTask(account: AccountRef, task: CrmTask): Promise<{ id: string }>;
  /** Accounts for the customer directory (Salesforce: a SOQL query), when the adapter can list them. */
  listAccounts?(soql?: string): Promise<CrmAccountRecord[]>;
}
