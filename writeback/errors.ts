import { DocksideError, RetryableError } from '../core/mod.ts';

/**
 * Errors of external targets (CRM, Jira, mail, Slack, webhooks), grouped by what the caller must do:
 * retry later (TargetUnavailableError, honouring retryAfterMs) or stop and dead-letter the command with the
 * target's own message (TargetRejectedError).
 */
export class TargetUnavailableError extends RetryableError {
  readonly target: string;
  /** From Retry-After or the target's own back-off hint, when it gave one. */
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(
    target: string,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number; status?: number },
  ) {
    super('TARGET_UNAVAILABLE', `${target}: ${message}`, options);
    this.target = target;
    this.retryAfterMs = options?.retryAfterMs;
    this.status = options?.status;
  }
}

export class TargetRejectedError extends DocksideError {
  readonly code: string;
  readonly action = 'dead-letter' as const;
  readonly target: string;
  readonly status: number | undefined;
  constructor(target: string, code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(`${target}: ${message}`, options);
    this.target = target;
    this.code = code;
    this.status = options?.status;
  }
}

/** The target is not configured (its adapter is off): the command is held with this reason. */
export class TargetOffError extends DocksideError {
  readonly code = 'TARGET_NOT_CONFIGURED';
  readonly action = 'dead-letter' as const;
  readonly target: string;
  constructor(target: string, hint: string) {
    super(`${target} is not configured (${hint})`);
    this.target = target;
  }
}
