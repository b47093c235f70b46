import { type DetectedException, lifecycleVersion, RejectError } from '../core/mod.ts';

/** open → assigned → resolved. Each transition is a new version of the same exception id. */
export function assign(ex: DetectedException, assignee: string, atMs: number): DetectedException {
  ensureNotResolved(ex);
  return {
    ...ex,
    status: 'assigned',
    assignedTo: assignee,
    assignedAt: new Date(atMs).toISOString(),
    version: lifecycleVersion('assigned', atMs),
  };
}

export function resolve(ex: DetectedException, resolution: string, atMs: number): DetectedException {
  ensureNotResolved(ex);
  return {
    ...ex,
    status: 'resolved',
    resolution,
    resolvedAt: new Date(atMs).toISOString(),
    version: lifecycleVersion('resolved', atMs),
  };
}

function ensureNotResolved(ex: DetectedException): void {
  if (ex.status !== 'resolved') return;
  throw new RejectError(
    'EXCEPTION_RESOLVED',
    `exception ${ex.id} is already resolved`,
    [{ field: 'status', value: ex.status, expected: 'open or assigned' }],
    { httpStatus: 409 },
  );
}
