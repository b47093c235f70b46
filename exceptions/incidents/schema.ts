import { z } from 'zod';
import { exceptionSchema, exceptionStatuses, exceptionTypes, severities } from '../../core/mod.ts';

/**
 * The incident contract: what groupIncidents produces, what `GET /api/incidents` and `dockside replay
 * --incidents` print, and the request schemas of the incident routes (the OpenAPI document uses them too).
 */

/** Candidate causes, most specific first: grouping tries them in this order. */
export const causeKinds = ['warehouse_carrier', 'carrier', 'warehouse', 'lane', 'customer'] as const;
export type CauseKind = (typeof causeKinds)[number];

export const incidentStatuses = ['open', 'resolved'] as const;

const iso = z.iso.datetime({ offset: true });

export const causeSchema = z.object({
  kind: z.enum(causeKinds),
  warehouseId: z.string().optional(),
  carrierId: z.string().optional(),
  lane: z.string().optional(),
  customerId: z.string().optional(),
});
export type Cause = z.output<typeof causeSchema>;

export const incidentSchema = z.object({
  /** `inc:` + a hash of type, cause and first member: stable while members arrive in event-time order. */
  id: z.string(),
  type: z.string(),
  cause: causeSchema,
  /** For people, e.g. "42 late scans at WH-A, carrier CARR-1, 2026-03-02 13:00–16:10 UTC". */
  title: z.string(),
  /** open while any member is open or assigned. */
  status: z.enum(incidentStatuses),
  /** The highest severity of its members. */
  severity: z.enum(severities),
  counts: z.object({
    members: z.number().int(),
    open: z.number().int(),
    assigned: z.number().int(),
    resolved: z.number().int(),
    /** Members beyond their type's max_per_subject_per_day (stored and listed, foldable on the board). */
    overBudget: z.number().int(),
  }),
  /** Event time (occurredAt) of the first and the last member. */
  span: z.object({ from: iso, to: iso }),
  /** Distinct affected customers per tier, their total, and their ids (sorted, at most 100). */
  customers: z.object({
    tier1: z.number().int(),
    tier2: z.number().int(),
    tier3: z.number().int(),
    total: z.number().int(),
    ids: z.array(z.string()),
  }),
  /** Distinct warehouses and carriers of the members (the list filters match on these). */
  warehouseIds: z.array(z.string()),
  carrierIds: z.array(z.string()),
  /** Member exception ids in event-time order (occurredAt, then id). */
  memberIds: z.array(z.string()),
});
export type Incident = z.output<typeof incidentSchema>;

export const budgetCellSchema = z.object({
  type: z.string(),
  subjectKind: z.enum(['warehouse', 'customer']),
  subject: z.string(),
  /** UTC event day (occurredAt) the cap counts. */
  day: z.string(),
  cap: z.number().int(),
  raised: z.number().int(),
  over: z.number().int(),
  /** The exceptions beyond the cap, ranked by (occurredAt, id); at most 100 listed. */
  overIds: z.array(z.string()),
});
export type BudgetCell = z.output<typeof budgetCellSchema>;

/** A comma list or a repeated parameter of known exception types. */
const typeList = z
  .preprocess((v) => (Array.isArray(v) ? v.join(',') : v), z.string().max(1_024))
  .transform((text, ctx) => {
    const parts = [...new Set(text.split(',').map((p) => p.trim()))].filter(Boolean);
    const bad = parts.filter((p) => !(exceptionTypes as readonly string[]).includes(p));
    if (parts.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `one or more (comma-separated) of ${exceptionTypes.join(', ')}${bad.length ? `; unknown: ${bad.join(', ')}` : ''}`,
      });
      return z.NEVER;
    }
    return parts;
  })
  .meta({ description: `One or more (comma-separated) of ${exceptionTypes.join(', ')}` });

/** `GET /api/incidents` (strict: an unknown parameter is a 400). */
export const incidentListQuery = z.strictObject({
  status: z.enum([...incidentStatuses, 'all']).default('open'),
  type: typeList.optional(),
  /** Incidents with a member at this warehouse. */
  warehouseId: z.string().min(1).max(256).optional(),
  /** Incidents with a member carried by this carrier. */
  carrierId: z.string().min(1).max(256).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type IncidentListQuery = z.output<typeof incidentListQuery>;

export const incidentListReply = z.object({
  /** Newest span end first, then id. */
  items: z.array(incidentSchema),
  /** Incidents matching the filters. */
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Over all incidents in the window (not only this page). */
  counts: z.object({
    open: z.number().int(),
    resolved: z.number().int(),
    /** Exceptions grouped into an incident, and all exceptions in the window. */
    grouped: z.number().int(),
    exceptions: z.number().int(),
    overBudget: z.number().int(),
  }),
  /** (type, subject, day) cells above their cap. */
  budget: z.array(budgetCellSchema),
  /** The event-time window the incidents are computed over. */
  window: z.object({ from: iso, to: iso.nullable() }),
  computedAt: iso,
});

export const incidentIdParam = z.object({ id: z.string().min(1).max(256) });

export const incidentDetailReply = incidentSchema.extend({
  /** The member exceptions, latest states, in event-time order. */
  members: z.array(exceptionSchema),
  /** Members over their type's daily budget. */
  overBudgetIds: z.array(z.string()),
});

/** The version of a member the caller saw; a member changed since answers `conflict` (the others still act). */
const expectedVersions = z
  .record(z.string().min(1).max(256), z.number().int().nonnegative())
  .optional()
  .meta({
    description:
      'Per member id, the `version` the caller acted on (compare-and-set); members left out act on their latest state',
  });

/** `"me"` stands for the caller. */
export const incidentAssignBody = z.strictObject({
  assignee: z.string().trim().min(1).max(128),
  expectedVersions,
});
export const incidentResolveBody = z.strictObject({
  resolution: z.string().trim().min(1).max(1_000),
  expectedVersions,
});

export const memberOutcomes = ['done', 'conflict', 'already_resolved', 'not_found'] as const;

export const incidentActionReply = z.object({
  incidentId: z.string(),
  action: z.enum(['assign', 'resolve']),
  /** One per member, in event-time order. */
  outcomes: z.array(
    z.object({
      id: z.string(),
      outcome: z.enum(memberOutcomes),
      /** The member's status and version now: the new ones (done) or the current ones (otherwise). */
      status: z.enum(exceptionStatuses).optional(),
      version: z.number().int().optional(),
    }),
  ),
  counts: z.object({
    done: z.number().int(),
    conflict: z.number().int(),
    alreadyResolved: z.number().int(),
    notFound: z.number().int(),
  }),
});
export type IncidentActionReply = z.output<typeof incidentActionReply>;
