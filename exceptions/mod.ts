// Public entry of the exceptions module.
export { AggregateDetector } from './aggregates/aggregate-detector.ts';
export { Detector, type DetectorOptions, type EventOutcome, type StepOutput } from './detector.ts';
export { registerExceptionRoutes } from './http.ts';
export {
  computeIncidents,
  groupIncidents,
  type Incident,
  type IncidentMember,
  type IncidentOptions,
  IncidentView,
  incidentOptions,
  listReply as incidentListReplyOf,
  registerIncidentRoutes,
} from './incidents/mod.ts';
export { assign, resolve } from './lifecycle.ts';
export { LifecycleStore } from './lifecycle-store.ts';
export { detectorNames } from './live/names.ts';
export type { OnPublished, PublishedInfo } from './live/outputs.ts';
export { deleteDetectorResources, ensureDetectorResources } from './live/resources.ts';
export { startDetectorSinks } from './live/sinks.ts';
export { DetectorWorker, startDetectorWorker } from './live/worker.ts';
export { exceptionMigrations } from './migrations.ts';
export { type DetectorProcess, startDetectorProcess } from './processor.ts';
export { type ReplayOptions, type ReplaySummary, replayLines } from './replay.ts';
export { rules } from './rules/index.ts';
export { countExceptionsByType, getException, queryExceptions, startExceptionSink } from './store.ts';
export { ExceptionSet, Topology } from './topology.ts';
export type { EvalContext, ExceptionDraft, Rule, Verdict } from './types.ts';

import { assignBody, idParam as exceptionIdParam, historyReply, resolveBody } from './http.ts';
import {
  incidentActionReply,
  incidentAssignBody,
  incidentDetailReply,
  incidentIdParam,
  incidentListQuery,
  incidentListReply,
  incidentResolveBody,
  incidentSchema,
} from './incidents/mod.ts';
import { exceptionFilterSchema, exceptionQuerySchema } from './store.ts';
/** The zod schemas the exception routes validate with (the API docs are generated from them). */
export const exceptionRequestSchemas = {
  assignBody,
  exceptionIdParam,
  historyReply,
  resolveBody,
  exceptionFilterSchema,
  exceptionQuerySchema,
  incidentActionReply,
  incidentAssignBody,
  incidentDetailReply,
  incidentIdParam,
  incidentListQuery,
  incidentListReply,
  incidentResolveBody,
  incidentSchema,
};
