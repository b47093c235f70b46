import { DeadLetterError } from '../../core/mod.ts';

/**
 * A customer update statement without a citation while the policy requires one
 * (`safety.outbound_message_requires_citations`): the draft is not made. Usually the events behind the
 * exception are not readable (yet); the caller may try again once they are stored.
 */
export class UncitedStatementError extends DeadLetterError {
  readonly exceptionId: string;
  readonly template: string;
  readonly statement: string;
  constructor(exceptionId: string, template: string, statement: string) {
    super(
      'DRAFT_UNCITED',
      `customer update for ${exceptionId} (${template}): the statement "${statement}" cites no event, and the policy requires citations`,
    );
    this.exceptionId = exceptionId;
    this.template = template;
    this.statement = statement;
  }
}

/** No customer update can be written for this exception: it names no customer, or no event says anything. */
export class DraftUnavailableError extends DeadLetterError {
  readonly exceptionId: string;
  constructor(code: 'DRAFT_NO_CUSTOMER' | 'DRAFT_NO_FACTS', exceptionId: string, message: string) {
    super(code, `customer update for ${exceptionId}: ${message}`);
    this.exceptionId = exceptionId;
  }
}
