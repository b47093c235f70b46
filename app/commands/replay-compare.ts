import { readFileSync } from 'node:fs';
import { type Config, type DetectedException, partitionOf, RejectError } from '../../core/mod.ts';
import { replayLines } from '../../exceptions/mod.ts';
import {
  type ActivePolicy,
  activePolicyFrom,
  type ComparisonReport,
  type CustomerEntry,
  comparePolicies,
  parseCustomers,
} from '../../writeback/mod.ts';

export interface CompareOptions {
  readonly policyA: string;
  readonly policyB: string;
  readonly customers?: string;
  readonly until?: number;
  readonly lines: readonly string[];
  readonly config: Config;
}

/**
 * `dockside replay FILE --policy A --compare B`: replays the events under each policy (each policy's own
 * detector thresholds), decides every exception state under each, and reports where they differ. Without
 * --customers every customer is taken to be known and inside the deciding policy's regions (residency is
 * then not compared).
 */
export async function comparePolicyFiles(opts: CompareOptions): Promise<ComparisonReport> {
  const a = activePolicyFrom(readFileSync(opts.policyA, 'utf8'), opts.policyA);
  const b = activePolicyFrom(readFileSync(opts.policyB, 'utf8'), opts.policyB);
  const statesA = await states(a, opts);
  const statesB = await states(b, opts);
  const directory = opts.customers ? customerMap(opts.customers) : undefined;
  return comparePolicies({
    a,
    b,
    statesA,
    statesB,
    customer: (ex, policy) => {
      if (directory) return ex.customerId ? directory.get(ex.customerId) : undefined;
      if (!ex.customerId) return undefined;
      return {
        customerId: ex.customerId,
        crmExternalId: ex.customerId,
        ownerUserId: 'unknown',
        region: policy.policy.regions?.[0] ?? 'unknown',
        tier: ex.customerTier ?? 'tier3',
        attributes: {},
      };
    },
  });
}

async function states(active: ActivePolicy, opts: CompareOptions): Promise<DetectedException[]> {
  const out: DetectedException[] = [];
  await replayLines(opts.lines, {
    policy: active.policy,
    partitions: opts.config.partitions,
    partitionOf,
    allowedLatenessMs: opts.config.allowedLatenessMs,
    retentionMs: opts.config.stateRetentionMs,
    feeds: opts.config.feeds,
    ...(opts.until !== undefined ? { untilMs: opts.until } : {}),
    onEmit: (ex) => out.push(ex),
  });
  return out;
}

function customerMap(file: string): Map<string, CustomerEntry> {
  const parsed = parseCustomers(readFileSync(file, 'utf8'), { source: `file:${file}` });
  if (parsed.rejects.length > 0) {
    throw new RejectError(
      'CUSTOMERS_INVALID',
      `--customers ${file}: ${parsed.rejects
        .slice(0, 5)
        .map((r) => r.message)
        .join('; ')}`,
      parsed.rejects.map((r) => ({ field: r.field, value: r.value, expected: r.expected })),
    );
  }
  return new Map(parsed.entries.map((c) => [c.customerId, c]));
}

/** One line per change kind, e.g. `write/auto_write → held/below_confidence: 12`. */
export function describeReport(r: ComparisonReport): string {
  const changes = Object.entries(r.changes)
    .sort((x, y) => y[1] - x[1])
    .map(([k, n]) => `  ${k}: ${n}`);
  return [
    `compare: ${r.policyA} vs ${r.policyB}: ${r.states} exception states, ${r.same} same, ${r.different} different, ${r.onlyA} only under A, ${r.onlyB} only under B`,
    `  writes ${r.totals.a.writes} → ${r.totals.b.writes}, approvals ${r.totals.a.approvals} → ${r.totals.b.approvals}, fallbacks ${r.totals.a.fallbacks} → ${r.totals.b.fallbacks}`,
    ...changes,
  ].join('\n');
}
