import { DeadLetterError, DocksideError, RetryableError } from '../../core/mod.ts';

/**
 * An exclusive chain (a decider's `dec.<p>`) was appended to by someone else: this writer no longer owns it
 * (its lease moved) and must stop; the new owner carries on from the stored head.
 */
export class ChainFencedError extends DocksideError {
  readonly code = 'AUDIT_CHAIN_FENCED';
  readonly action = 'retry' as const;
  constructor(
    readonly chain: string,
    /** The stream sequence of the block this writer believed was the chain's last. */
    readonly expectedStreamSeq: number,
    options?: { cause?: unknown },
  ) {
    super(
      `chain ${chain} was appended to by another writer (expected its last block at stream seq ${expectedStreamSeq})`,
      options,
    );
  }
}

/** Shared-mode appends kept losing the race for the chain head (or the broker kept failing): try later. */
export class AuditAppendError extends RetryableError {
  constructor(
    readonly chain: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('AUDIT_APPEND_FAILED', `chain ${chain}: ${message}`, options);
  }
}

/** One append (or one entry) is larger than a stream message may be. */
export class AuditBlockTooLargeError extends DocksideError {
  readonly code = 'AUDIT_BLOCK_TOO_LARGE';
  readonly action = 'dead-letter' as const;
  constructor(
    readonly chain: string,
    readonly bytes: number,
    readonly maxBytes: number,
    what: string,
  ) {
    super(`chain ${chain}: ${what} is about ${bytes} bytes, more than a block may hold (${maxBytes})`);
  }
}

/** A stored block that is not a block of this chain (written by something else, or altered in the stream). */
export class AuditBlockInvalidError extends DeadLetterError {
  constructor(
    readonly stream: string,
    readonly streamSeq: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('AUDIT_BLOCK_INVALID', `${stream} seq ${streamSeq}: ${message}`, options);
  }
}
