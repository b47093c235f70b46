import type { CanonicalEvent } from '../../core/mod.ts';
import type { CrmAdapter } from '../crm/adapter.ts';
import type { ActivePolicyRef } from '../decide.ts';
import type { CustomerEntry, UserEntry } from '../directory/types.ts';
import type { SlackBlock } from '../notify/slack-blocks.ts';

/**
 * What the pipeline needs from the rest of write-back, as small interfaces: the pipeline's logic is tested
 * against the real implementations, and these keep its files free of how each one is built.
 */
export interface LogInput {
  readonly kind: string;
  readonly actor: string;
  readonly reasonCode: string;
  readonly policyVersion: string;
  readonly exceptionId?: string;
  readonly customerId?: string;
  readonly ref?: string;
  readonly evidence?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Appends to the activity chain of the exception's partition (`act.<p>`), or `sys` without an exception. */
export interface ActivityLog {
  record(input: LogInput): Promise<void>;
}

export interface Directory {
  get(customerId: string): CustomerEntry | undefined;
}

export interface Users {
  get(userId: string): UserEntry | undefined;
  withRole(role: string): readonly UserEntry[];
}

/** The events behind an exception (for customer update drafts), by id. */
export interface EvidenceSource {
  events(ids: readonly string[]): Promise<CanonicalEvent[]>;
}

export interface JiraPort {
  createIssue(issue: {
    key: string;
    project: string;
    priority: string;
    summary: string;
    description: string;
    labels?: readonly string[];
  }): Promise<{ key: string }>;
}

export interface MailPort {
  send(mail: { to: string[]; subject: string; text: string }): Promise<{ accepted: readonly string[] }>;
}

export interface SlackPort {
  post(message: { text: string; blocks?: SlackBlock[] }): Promise<void>;
}

/** External targets; an absent one is off (its commands are held with that reason). */
export interface Targets {
  readonly crm?: CrmAdapter;
  readonly jira?: JiraPort;
  readonly mail?: MailPort;
  readonly slack?: SlackPort;
}

/** The policy in force now (hot reload swaps it; each decision keeps the one it started with). */
export type PolicySource = () => ActivePolicyRef;
