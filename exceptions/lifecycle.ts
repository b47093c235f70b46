import { z } from 'zod';
import { type DetectedException, exceptionStatuses, lifecycleVersion, RejectError } from '../core/mod.ts';

/**
 * open → assigned → resolved. Each transition is a new version of the same exception id, always above the
 * version it replaces (two transitions in one millisecond must not share a Nats-Msg-Id).
 */
export function assign(ex: DetectedException, assignee: string, atMs: number): DetectedException {
  ensureNotResolved(ex);
  return {
    ...ex,
    status: 'assigned',
    assignedTo: assignee,
    assignedAt: new Date(atMs).toISOString(),
    version: Math.max(lifecycleVersion('assigned', atMs), ex.version + 1),
  };
}

export function resolve(ex: DetectedException, resolution: string, atMs: number): DetectedException {
  ensureNotResolved(ex);
  return {
    ...ex,
    status: 'resolved',
    resolution,
    resolvedAt: new Date(atMs).toISOString(),
    version: Math.max(lifecycleVersion('resolved', atMs), ex.version + 1),
  };
}

/** A person assigns (`me` = themselves): the exception's details keep who did it (`assignedBy`). */
export function assignBy(
  ex: DetectedException,
  assignee: string,
  userId: string,
  atMs: number,
): DetectedException {
  const next = assign(ex, assignee === 'me' ? userId : assignee, atMs);
  return { ...next, details: { ...next.details, assignedBy: userId } };
}

/** A person resolves: the exception's details keep who did it (`resolvedBy`). */
export function resolveBy(
  ex: DetectedException,
  resolution: string,
  userId: string,
  atMs: number,
): DetectedException {
  const next = resolve(ex, resolution, atMs);
  return { ...next, details: { ...next.details, resolvedBy: userId } };
}

function ensureNotResolved(ex: DetectedException): void {
  if (ex.status !== 'resolved') return;
  throw new VersionConflictError(
    'EXCEPTION_RESOLVED',
    `exception ${ex.id} is already resolved`,
    { field: 'status', value: ex.status, expected: 'open or assigned' },
    ex,
  );
}

/** A 409 that carries the state the caller should have acted on (the API answers it as `current`). */
export class VersionConflictError extends RejectError {
  readonly current: DetectedException;
  constructor(
    code: string,
    message: string,
    issue: { field: string; value: unknown; expected: string },
    current: DetectedException,
  ) {
    super(code, message, [issue], { httpStatus: 409 });
    this.current = current;
  }
}

/** Compare-and-set: the caller acted on `expectedVersion`; anything newer since then wins over it. */
export function checkExpectedVersion(current: DetectedException, expectedVersion: number): void {
  if (current.version === expectedVersion) return;
  throw new VersionConflictError(
    'EXCEPTION_VERSION_CONFLICT',
    `exception ${current.id} changed: it is at version ${current.version} (${current.status}), not ${expectedVersion}`,
    { field: 'expectedVersion', value: expectedVersion, expected: `the current version ${current.version}` },
    current,
  );
}

export const transitionActions = ['detected', 'assign', 'resolve', 'auto-resolve'] as const;

export const transitionSchema = z.object({
  action: z.enum(transitionActions),
  at: z.string(),
  /** The user id, or `detector` for the detector's own transitions. */
  by: z.string(),
  status: z.enum(exceptionStatuses),
  /** The exception's version after the transition (absent where the detector's first version is unknown). */
  version: z.number().int().optional(),
  assignedTo: z.string().optional(),
  resolution: z.string().optional(),
});
export type Transition = z.output<typeof transitionSchema>;

/** What the lifecycle store keeps per exception: the latest state a person made, and every such change. */
export const lifecycleRecordSchema = z.object({
  state: z.custom<DetectedException>((v) => typeof v === 'object' && v !== null),
  history: z.array(transitionSchema),
});
export type LifecycleRecord = z.output<typeof lifecycleRecordSchema>;

export function transitionOf(next: DetectedException, by: string, atMs: number): Transition {
  const at = new Date(atMs).toISOString();
  const base = { at, by, status: next.status, version: next.version };
  return next.status === 'resolved'
    ? { action: 'resolve', ...base, ...(next.resolution ? { resolution: next.resolution } : {}) }
    : { action: 'assign', ...base, ...(next.assignedTo ? { assignedTo: next.assignedTo } : {}) };
}

/**
 * The latest state from the stored copy (ClickHouse, which lags) and the lifecycle record (written first):
 * the higher version wins. A detector state above a person's (its own resolution after an assignment)
 * keeps who it was assigned to.
 */
export function currentState(
  stored: DetectedException | undefined,
  record: LifecycleRecord | undefined,
): DetectedException | undefined {
  const mine = record?.state;
  if (!stored || !mine) return mine ?? stored;
  if (mine.version >= stored.version) return mine;
  return {
    ...stored,
    ...(mine.assignedTo ? { assignedTo: mine.assignedTo } : {}),
    ...(mine.assignedAt ? { assignedAt: mine.assignedAt } : {}),
    details: { ...mine.details, ...stored.details },
  };
}

/** Every transition in order: detection, each person's change, and a resolution by the detector. */
export function historyOf(current: DetectedException, record: LifecycleRecord | undefined): Transition[] {
  const items: Transition[] = [
    { action: 'detected', at: current.detectedAt, by: 'detector', status: 'open' },
  ];
  items.push(...(record?.history ?? []));
  const humanResolved = record?.state.status === 'resolved';
  if (current.status === 'resolved' && !humanResolved) {
    items.push({
      action: 'auto-resolve',
      at: current.resolvedAt ?? current.detectedAt,
      by: 'detector',
      status: 'resolved',
      version: current.version,
      ...(current.resolution ? { resolution: current.resolution } : {}),
    });
  }
  return items;
}
