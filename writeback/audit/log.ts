import { type AppenderDeps, ChainAppender } from './appender.ts';
import type { AuditEntry, EntryInput } from './entry.ts';
import { chainFor, SYS_CHAIN } from './names.ts';

/**
 * The decision log as the rest of write-back sees it: `append(chain, inputs)` on a shared-mode appender per
 * chain (created on first use), and `exclusive(chain)` for the one writer that owns a chain (a decider).
 */
export class AuditLog {
  private readonly shared = new Map<string, ChainAppender>();

  constructor(
    private readonly deps: AppenderDeps,
    private readonly opts: {
      maxAttempts?: number;
      timeoutMs?: number;
      onConflict?: (chain: string) => void;
    } = {},
  ) {}

  append(chain: string, inputs: readonly EntryInput[]): Promise<AuditEntry[]> {
    return this.appender(chain).append(inputs);
  }

  /** `act.<p>` of an exception's partition, or `sys` when the entry concerns no exception. */
  activity(partition: number | undefined, input: EntryInput): Promise<AuditEntry[]> {
    return this.append(partition === undefined ? SYS_CHAIN : chainFor('act', partition), [input]);
  }

  appender(chain: string): ChainAppender {
    let a = this.shared.get(chain);
    if (!a) {
      a = new ChainAppender(this.deps, chain, { ...this.opts, mode: 'shared' });
      this.shared.set(chain, a);
    }
    return a;
  }

  /** A new exclusive appender: its owner must drop it when fenced (ChainFencedError) and make a new one. */
  exclusive(chain: string): ChainAppender {
    return new ChainAppender(this.deps, chain, { ...this.opts, mode: 'exclusive' });
  }
}
