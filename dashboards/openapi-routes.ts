import type { z } from 'zod';
import { eventSchemas, eventTypes, exceptionSchema } from '../core/mod.ts';
import { exceptionRequestSchemas } from '../exceptions/mod.ts';
import { forecastReplySchemas, forecastRequestSchemas } from '../forecasting/mod.ts';
import { ingestRequestSchemas } from '../ingest/mod.ts';
import { customerEntrySchema, writebackRequestSchemas } from '../writeback/mod.ts';
import { sessionBody } from './session.ts';
import { streamQuerySchema } from './stream.ts';

// The request schemas the routes validate with, from each module's public entry.
const ex = exceptionRequestSchemas;
const fc = forecastRequestSchemas;
const fr = forecastReplySchemas;
const ing = ingestRequestSchemas;
const wb = writebackRequestSchemas;

/**
 * What the OpenAPI document says about each route beyond the access table: the zod schemas its handler
 * validates with (the same objects, imported from the module), and its answers. Keyed `METHOD url` like
 * routePermissions; a table route without an entry is still documented (permission, path parameters,
 * error answers), only without request schemas.
 */

/** A JSON Schema fragment written here (a `$ref` to a component, or a plain string body). */
export type JsonSchema = { readonly [key: string]: unknown };

/** A media type's schema: a zod schema (turned into JSON Schema) or a JSON Schema fragment. */
export type MediaSchema = z.ZodType | JsonSchema;

export interface Reply {
  readonly description: string;
  /** Media type → schema; omitted: no body described. */
  readonly content?: Readonly<Record<string, MediaSchema>>;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** Path parameters (each must be a `:name` of the url). */
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  /** Request body by media type. */
  readonly body?: Readonly<Record<string, MediaSchema>>;
  /** Answers by status; default `200 OK`. An error status listed here replaces the shared error answer. */
  readonly replies?: Readonly<Record<number, Reply>>;
  /**
   * Error statuses beyond those a route gets from its shape: 400 with a request schema, 401 and 403 unless
   * public, 404 with a path parameter.
   */
  readonly errors?: readonly ErrorStatus[];
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429 | 503;

export const ref = (component: string): JsonSchema => ({ $ref: `#/components/schemas/${component}` });

/** Components from module schemas (the event contract, an exception, a directory entry); routes use ref(). */
export const componentSchemas: Readonly<Record<string, MediaSchema>> = {
  Exception: exceptionSchema,
  Customer: customerEntrySchema,
  Event: {
    description: 'A canonical event (contract v1): one schema per `type`',
    oneOf: eventTypes.map((t) => ref(`Event.${t}`)),
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(eventTypes.map((t) => [t, `#/components/schemas/Event.${t}`])),
    },
  },
  ...Object.fromEntries(eventTypes.map((t) => [`Event.${t}`, eventSchemas[t]])),
};

const json = (schema: MediaSchema) => ({ 'application/json': schema });
const text = (description: string): JsonSchema => ({ type: 'string', description });
const ndjson = text('one JSON object per line');
const exceptionReply = (description: string): Reply => ({ description, content: json(ref('Exception')) });
const jsonOrCsvOf = (description: string, schema: MediaSchema): Reply => ({
  description,
  content: { 'application/json': schema, 'text/csv': text('format=csv or Accept: text/csv') },
});

const CAS =
  '`expectedVersion` is the version the caller saw: if the exception changed since (another person, or the detector), the answer is 409 with the winning state as `current`.';

const INCIDENT_ACTION =
  'Each member goes through the same compare-and-set transition as the exception routes, with its own history record (actor: the caller): `done`, `conflict` (it changed since the version in `expectedVersions`) or `already_resolved`. One member refused does not stop the others.';

export const routeDocs: Readonly<Record<string, RouteDoc>> = {
  'GET /healthz': { summary: 'Liveness: the process answers { ok: true }' },
  'GET /metrics': {
    summary: 'Prometheus metrics',
    replies: { 200: { description: 'Text exposition format 0.0.4', content: { 'text/plain': text('') } } },
  },
  'GET /api/stream': {
    summary: 'Live exception changes (Server-Sent Events), with the list filters',
    description:
      'An `exception` event per detected or changed exception, each with `id:` (its exceptions-stream sequence). A client that reconnects with the `Last-Event-ID` header (or `?lastEventId=`) first gets what it missed; `event: reset` means that cannot be replayed (reload the list).',
    query: streamQuerySchema,
    replies: { 200: { description: 'An endless event stream', content: { 'text/event-stream': text('') } } },
  },
  'GET /api/kpis': {
    summary: "The KPI strip: the policy's telemetry and SLO targets, each with its threshold and last 24 h",
  },
  'GET /api/ops': {
    summary:
      'Operations: NATS and ClickHouse health, consumer lag, dead letters, partitions, last forecast run',
  },
  'POST /api/session': {
    summary: 'Sign a browser in: keep a verified token in an HttpOnly session cookie',
    description: 'Must be sent as application/json (cross-site request protection). Answers the principal.',
    body: json(sessionBody),
    errors: [401, 403],
  },
  'DELETE /api/session': {
    summary: 'Sign out: clear the session cookie',
    replies: { 204: { description: 'Signed out' } },
  },
  'GET /api/session/demo-users': {
    summary: 'Demo users and their tokens',
    description: 'Served only by `dockside demo` (404 elsewhere).',
    errors: [404],
  },
  'GET /api/me': { summary: 'Who the caller is, with their roles, regions and permissions' },
  'POST /api/events': {
    summary: 'Ingest canonical events: one, a JSON array, or NDJSON',
    description:
      'Answers per item (accepted, duplicate, or rejected naming field, value and expected); a rejected item is never published.',
    body: {
      'application/json': { oneOf: [ref('Event'), { type: 'array', items: ref('Event') }] },
      'application/x-ndjson': ndjson,
    },
    replies: {
      202: { description: 'One event, accepted' },
      200: { description: 'Every item accepted or a duplicate' },
      207: { description: 'Some items rejected: see `results`' },
      400: { description: 'Every item rejected (`results`, or `error` for a single event)' },
    },
  },
  'GET /api/dead-letters': {
    summary: 'Input that could not be taken, newest first, with reason and raw input',
    query: ing.deadLetterQuery,
  },
  'GET /api/quality': {
    summary:
      'Data quality: per source, scan coverage per warehouse, findings, what each feed sends, the alert budget',
    description:
      'Findings are accepted events that say something odd (e.g. COMMITMENT_INCONSISTENT), per source and code. `feeds` says per source whether it sends PODs and so whether missing_pod applies to its deliveries. `alertBudget` is exceptions per 100 committed shipments per type, by source and by warehouse (also in /metrics as `dockside_exceptions_per_100_shipments`).',
    query: ing.qualityQuery,
    replies: { 200: { description: 'The data-quality report', content: json(ing.qualityReply) } },
  },
  'GET /api/exceptions': {
    summary: 'Exceptions, filtered and sorted',
    description: 'Answers `{ items: Exception[], total, limit, offset }`.',
    query: ex.exceptionQuerySchema,
  },
  'GET /api/exceptions/counts': {
    summary: 'Open exception counts per type × warehouse (the heat strip), with the list filters',
    query: ex.exceptionFilterSchema,
  },
  'GET /api/exceptions/:id/evidence': {
    summary:
      "An exception's evidence: the events behind it in event-time order, with source and arrival time",
    params: ex.exceptionIdParam,
  },
  'GET /api/exceptions/:id/writeback': {
    summary: "An exception's policy decision, approvals and CRM writes",
    params: ex.exceptionIdParam,
  },
  'GET /api/exceptions/:id/history': {
    summary: "An exception's lifecycle transitions in order (detected, assign, resolve, auto-resolve)",
    description: 'Answers `{ id, status, version, items: Transition[] }`.',
    params: ex.exceptionIdParam,
    replies: { 200: { description: 'The transitions, oldest first', content: json(ex.historyReply) } },
  },
  'GET /api/exceptions/:id': {
    summary: 'One exception',
    params: ex.exceptionIdParam,
    replies: { 200: exceptionReply('The exception in its latest state') },
  },
  'POST /api/exceptions/:id/assign': {
    summary: 'Assign an exception ("me": the caller)',
    description: CAS,
    params: ex.exceptionIdParam,
    body: json(ex.assignBody),
    replies: { 202: exceptionReply('The assigned exception, published on the exceptions stream') },
    errors: [409],
  },
  'POST /api/exceptions/:id/resolve': {
    summary: 'Resolve an exception with a reason',
    description: CAS,
    params: ex.exceptionIdParam,
    body: json(ex.resolveBody),
    replies: { 202: exceptionReply('The resolved exception, published on the exceptions stream') },
    errors: [409],
  },
  'GET /api/incidents': {
    summary: 'Incidents: exceptions of one type with one probable cause, close in event time',
    description:
      "Grouped by warehouse+carrier, carrier, warehouse, lane or customer (most specific first), over the policy's `incidents.window_days` of event time; newest span end first. Also answers the alert-budget cells above `thresholds.<type>.max_per_subject_per_day`.",
    query: ex.incidentListQuery,
    replies: {
      200: { description: 'Incidents, paginated, with counts', content: json(ex.incidentListReply) },
    },
  },
  'GET /api/incidents/:id': {
    summary: 'One incident with its member exceptions (latest states, event-time order)',
    params: ex.incidentIdParam,
    replies: { 200: { description: 'The incident and its members', content: json(ex.incidentDetailReply) } },
  },
  'POST /api/incidents/:id/assign': {
    summary: 'Assign every open or assigned member of an incident ("me": the caller)',
    description: INCIDENT_ACTION,
    params: ex.incidentIdParam,
    body: json(ex.incidentAssignBody),
    replies: { 202: { description: 'Per-member outcomes', content: json(ex.incidentActionReply) } },
  },
  'POST /api/incidents/:id/resolve': {
    summary: 'Resolve every open or assigned member of an incident with a reason',
    description: INCIDENT_ACTION,
    params: ex.incidentIdParam,
    body: json(ex.incidentResolveBody),
    replies: { 202: { description: 'Per-member outcomes', content: json(ex.incidentActionReply) } },
  },
  'POST /api/exceptions/:id/writeback': {
    summary: "Send the policy's held proposal for an exception to approval",
    description: "The proposal is always the policy's own fields; the caller can never approve it.",
    params: wb.triggerIdParam,
    body: json(wb.triggerBody),
    replies: { 201: { description: 'The approval opened' } },
    errors: [409],
  },
  'GET /api/forecasts': {
    summary: 'Latest forecast per lane with prediction intervals, daily or weekly',
    description:
      '`level=warehouse|total`: the lane forecasts reconciled into warehouse and network totals (bottom-up), so the lane plan and the network plan agree.',
    query: fc.forecastsQuery,
    replies: {
      200: jsonOrCsvOf('Forecasts, paginated (format=csv: one row per lane and day)', fr.forecastsReply),
    },
    errors: [404, 429],
  },
  'GET /api/forecasts/accuracy': {
    summary: 'Backtested MAPE/WAPE/MASE per lane and model, and the model chosen',
    query: fc.accuracyQuery,
    replies: { 200: jsonOrCsvOf('Accuracy rows, paginated', fr.accuracyReply) },
    errors: [404, 429],
  },
  'GET /api/forecasts/alerts': {
    summary: 'Forecast alerts (a forecast moved; live accuracy crossed its threshold), newest first',
    query: fc.alertsQuery,
    replies: { 200: { description: 'Alerts, paginated', content: json(fr.alertsReply) } },
    errors: [429],
  },
  'GET /api/forecasts/live': {
    summary: 'The served forecast against its peers on your lanes, scored as actuals arrive',
    description:
      'Naive, seasonal naive and the 28-day mean (and ARIMA, raw MSTL when a run includes them) are stored beside every served forecast; each is scored on the same lanes, days and lead (1–7 days ahead, the last 28 complete days) as the live accuracy KPI. `servedVsBestPeer` > 0: the served forecast is better than anything simpler.',
    query: fc.liveQuery,
    replies: {
      200: {
        description: 'Pooled and per lane, paginated (a lane not scored yet: no entry)',
        content: json(fr.liveReply),
      },
    },
    errors: [429],
  },
  'GET /api/forecasts/lanes': {
    summary:
      "Lanes with a stored forecast, searchable, with the served model's accuracy beside seasonal naive's",
    query: fc.lanesQuery,
    replies: { 200: { description: 'Lanes, paginated', content: json(fr.lanesReply) } },
    errors: [429],
  },
  'GET /api/forecasts/series': {
    summary: "One lane: actual daily volume, the forecast with its intervals, and each model's backtest",
    query: fc.seriesQuery,
    replies: {
      200: jsonOrCsvOf('The series (format=csv: one row per day, actuals then forecast)', fr.seriesReply),
    },
    errors: [404, 429],
  },
  'GET /api/forecasts/trucks': {
    summary: 'Trucks needed per lane and day at a service level',
    description:
      "ceil(the served forecast's quantile at `serviceLevel` × units per shipment / units a truck holds); capacity from DOCKSIDE_CAPACITY_FILE or the latest `tms.tender` carrying `capacity`",
    query: fc.trucksQuery,
    replies: {
      200: {
        description: 'Trucks per lane and day, paginated',
        content: {
          'application/json': fr.trucksReply,
          'text/csv': text(`format=csv or Accept: text/csv; columns ${fr.trucksCsvColumns.join(',')}`),
        },
      },
    },
    errors: [404, 429],
  },
  'GET /api/forecasts/openapi.json': {
    summary: "The planner API's own OpenAPI document: the forecasts operations of this one",
    errors: [429],
  },
  'GET /api/customers/:id': {
    summary: "A customer directory entry and its owner's name",
    params: wb.customerIdParam,
  },
  'POST /api/customers': {
    summary: 'Import customers into the directory: NDJSON, CSV with a header row, or JSON',
    description: '`?strict=true` imports nothing when any line is rejected.',
    query: wb.customerImportQuery,
    body: {
      'application/json': { oneOf: [ref('Customer'), { type: 'array', items: ref('Customer') }] },
      'application/x-ndjson': ndjson,
      'text/csv': text('a header row naming customerId, crmAccountId, ownerUserId, region, tier, …'),
    },
    replies: {
      200: { description: 'Every line imported' },
      207: { description: 'Some lines imported, the others listed in `rejects`' },
      400: { description: 'Nothing imported: `rejects` and `error` say why' },
    },
  },
  'GET /api/approvals': {
    summary: 'Approvals the caller may see (mine=1: those waiting for them), with the step they wait for',
    query: wb.approvalListQuery,
  },
  'GET /api/approvals/:id': {
    summary: 'One approval with its exception, proposed fields and customer update draft',
    params: wb.approvalIdParam,
  },
  'POST /api/approvals/:id/approve': {
    summary: 'Approve the current step of an approval, with a reason',
    description:
      'Object-level rules apply: own accounts only (account owners), own region (RevOps managers).',
    params: wb.approvalIdParam,
    body: json(wb.decisionBody),
    errors: [409],
  },
  'POST /api/approvals/:id/reject': {
    summary: 'Reject an approval, with a reason',
    description:
      'Object-level rules apply: own accounts only (account owners), own region (RevOps managers).',
    params: wb.approvalIdParam,
    body: json(wb.decisionBody),
    errors: [409],
  },
  'GET /api/writebacks': {
    summary: 'CRM writes (status=failed: the write-back dead letters), newest first',
    query: wb.writeListQuery,
  },
  'GET /api/writebacks/:id': {
    summary: 'One CRM write with its attempts and rollback window',
    params: wb.writeIdParam,
  },
  'POST /api/writebacks/:id/rollback': {
    summary: 'Restore the values read before a write, inside the rollback window',
    description: 'Refused (409) after the window or when someone changed the CRM value since.',
    params: wb.writeIdParam,
    body: json(wb.rollbackBody),
    errors: [409, 503],
  },
  'POST /api/writebacks/:id/redrive': {
    summary: 'Put a failed or held write back on the outbox',
    params: wb.writeIdParam,
    replies: { 202: { description: 'The write, queued again' } },
    errors: [409],
  },
  'GET /api/audit': { summary: 'Decision log entries', query: wb.auditQuerySchema },
  'GET /api/audit/verify': {
    summary: "Verify the decision log's hash chains: ok, and the first bad entry",
    query: wb.auditVerifyQuery,
  },
  'GET /api/policy': {
    summary: 'The policy in force (version, source, what each key drives) and the shadow one',
  },
  'GET /api/writeback/shadow': {
    summary: 'What the shadow policy would have done differently, with counts',
    query: wb.shadowQuery,
  },
  'GET /docs/json': { summary: 'This OpenAPI document (JSON)' },
  'GET /docs/yaml': {
    summary: 'This OpenAPI document (YAML)',
    replies: { 200: { description: 'OpenAPI 3.1', content: { 'application/x-yaml': text('') } } },
  },
};
