import { streamNames } from '../../core/mod.ts';
import { chainNamePattern, chainNameSchema } from './entry.ts';
import { rejectFrom } from './issues.ts';

/**
 * JetStream names of the decision log, derived from the prefix like core/nats.ts streamNames (so a test's
 * `<P>_AUDIT` stream is removed with its other streams). One subject per chain: `<prefix>.audit.<chain>`.
 */
export interface AuditNames {
  readonly prefix: string;
  readonly stream: string;
  readonly subjects: readonly string[];
  /** `<prefix>.audit.<chain>`, e.g. `dockside.audit.dec.3`. */
  readonly chainSubject: (chain: string) => string;
  /** The chain of an audit subject, or undefined for any other subject. */
  readonly chainOf: (subject: string) => string | undefined;
  /** `<prefix>.wbshadow.<partition>`: shadow-policy differences, kept beside the log but not part of it. */
  readonly shadowSubject: (partition: number) => string;
  readonly isShadow: (subject: string) => boolean;
  /** The durable consumer of the ClickHouse sink. */
  readonly sinkConsumer: string;
}

export const SYS_CHAIN = 'sys';

/** `dec.<p>` (decisions of write-back partition p) or `act.<p>` (everything done for its exceptions). */
export function chainFor(kind: 'dec' | 'act', partition: number): string {
  if (!Number.isInteger(partition) || partition < 0) {
    throw new RangeError(`partition: got ${partition}, expected an integer >= 0`);
  }
  return `${kind}.${partition}`;
}

export function auditNames(prefix: string): AuditNames {
  const core = streamNames(prefix);
  const audit = `${prefix}.audit.`;
  const shadow = `${prefix}.wbshadow.`;
  return {
    prefix,
    stream: `${core.streamPrefix}_AUDIT`,
    subjects: [`${audit}>`, `${shadow}>`],
    chainSubject: (chain) => `${audit}${checkChainName(chain)}`,
    chainOf: (subject) => {
      if (!subject.startsWith(audit)) return undefined;
      const chain = subject.slice(audit.length);
      return chainNamePattern.test(chain) ? chain : undefined;
    },
    shadowSubject: (partition) => `${shadow}${partition}`,
    isShadow: (subject) => subject.startsWith(shadow),
    sinkConsumer: core.consumer('audit_sink'),
  };
}

/** The chain name, or a RejectError naming `field`, the value and the expected form. */
export function checkChainName(chain: unknown, field = 'chain'): string {
  const r = chainNameSchema.safeParse(chain);
  if (r.success) return r.data;
  throw rejectFrom('AUDIT_CHAIN_INVALID', r.error, chain, { field: () => field });
}
