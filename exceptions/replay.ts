import {
  type CanonicalEvent,
  type DetectedException,
  DocksideError,
  type FeedsConfig,
  findingsOf,
  type Policy,
  parseEvent,
} from '../core/mod.ts';
import type { FeedSourceView } from './feeds.ts';
import { timeMs } from './time.ts';
import { ExceptionSet, type PartitionFn, Topology } from './topology.ts';

export interface ReplayOptions {
  readonly policy: Policy;
  readonly partitions: number;
  readonly partitionOf: PartitionFn;
  readonly allowedLatenessMs: number;
  readonly retentionMs?: number;
  /** Final watermark; events that occurred after it are skipped (what was knowable at that time). */
  readonly untilMs?: number;
  readonly strict?: boolean;
  /** What each source is declared to send (config.feeds); default: nothing declared, all learned. */
  readonly feeds?: FeedsConfig;
  /** Called for every exception state change, in order (streaming output). */
  readonly onEmit?: (ex: DetectedException) => void;
  readonly now?: () => number;
}

export interface ReplayProblem {
  readonly line: number;
  readonly code: string;
  readonly reason: string;
}

export interface ReplaySummary {
  readonly events: number;
  readonly late: number;
  readonly skippedAfterUntil: number;
  readonly problems: readonly ReplayProblem[];
  /** The final watermark: --until, else the latest occurredAt read. */
  readonly watermark: string | null;
  readonly exceptions: number;
  readonly byType: Record<string, number>;
  /**
   * Data-quality findings (core/event-findings.ts) per code, of every event read and not skipped by --until:
   * as live, where the events sink records them for every event stored, whatever the detector makes of it.
   */
  readonly findings: Record<string, number>;
  /** What each source sends, as the detector learned or was told (exceptions/feeds.ts), with its sentence. */
  readonly feeds: readonly FeedSourceView[];
}

/**
 * Runs the detector offline over canonical NDJSON lines, in file order (= arrival order), with the same
 * partitioning, watermarks and rules as the live workers but no processing-time idle advance (pure event
 * time). At the end of input the watermark moves to the latest occurredAt read (or --until): only deadlines
 * at or before it fire. Bad lines are reported, never fatal.
 */
export async function replayLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: ReplayOptions,
): Promise<{ exceptions: DetectedException[]; summary: ReplaySummary }> {
  const now = opts.now ?? Date.now;
  const topology = new Topology({
    policy: opts.policy,
    partitions: opts.partitions,
    partitionOf: opts.partitionOf,
    allowedLatenessMs: opts.allowedLatenessMs,
    idleAdvanceMs: Number.POSITIVE_INFINITY,
    ...(opts.retentionMs !== undefined ? { retentionMs: opts.retentionMs } : {}),
    ...(opts.strict !== undefined ? { strict: opts.strict } : {}),
    ...(opts.feeds !== undefined ? { feeds: opts.feeds } : {}),
  });
  const set = new ExceptionSet();
  const take = (xs: DetectedException[]) => {
    set.add(xs);
    if (opts.onEmit) for (const x of xs) opts.onEmit(x);
  };
  const problems: ReplayProblem[] = [];
  const findings: Record<string, number> = {};
  let lineNo = 0;
  let events = 0;
  let late = 0;
  let skipped = 0;
  let maxMs = Number.NEGATIVE_INFINITY;
  for await (const raw of lines) {
    lineNo++;
    const text = raw.trim();
    if (text === '') continue;
    let event: CanonicalEvent;
    try {
      event = parseEvent(JSON.parse(text));
    } catch (err) {
      problems.push(problemOf(lineNo, err));
      continue;
    }
    const at = timeMs(event.occurredAt);
    if (opts.untilMs !== undefined && at > opts.untilMs) {
      skipped++;
      continue;
    }
    for (const f of findingsOf(event)) findings[f.code] = (findings[f.code] ?? 0) + 1;
    let partition: number;
    try {
      const out = topology.onEvent(event, now());
      take(out.emissions);
      if (out.late) late++;
      partition = out.partition;
    } catch (err) {
      problems.push(problemOf(lineNo, err));
      continue;
    }
    events++;
    if (at > maxMs) maxMs = at;
    take(topology.advancePartition(partition, now()));
  }
  const endMs = opts.untilMs ?? maxMs;
  if (Number.isFinite(endMs)) take(topology.finish(endMs, now()));
  const exceptions = set.list();
  return {
    exceptions,
    summary: {
      events,
      late,
      skippedAfterUntil: skipped,
      problems,
      watermark: Number.isFinite(endMs) ? new Date(endMs).toISOString() : null,
      exceptions: exceptions.length,
      byType: set.countByType(),
      findings,
      feeds: topology.feedStats(),
    },
  };
}

function problemOf(line: number, err: unknown): ReplayProblem {
  if (err instanceof DocksideError) return { line, code: err.code, reason: err.message };
  if (err instanceof SyntaxError) return { line, code: 'EVENT_NOT_JSON', reason: err.message };
  throw err;
}
