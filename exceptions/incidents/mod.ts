// Public entry of incidents: grouping, the alert budget, the live view and its routes.
export { alertBudget, type BudgetResult } from './budget.ts';
export { computeIncidents, type IncidentSnapshot } from './compute.ts';
export {
  defaultGroupOptions,
  type GroupOptions,
  groupIncidents,
  type IncidentMember,
  incidentId,
  incidentTitle,
  latestStates,
} from './group.ts';
export { incidentNotFound, listReply, registerIncidentRoutes } from './http.ts';
export { DEFAULT_WINDOW_DAYS, type IncidentOptions, incidentOptions, windowStartMs } from './options.ts';
export * from './schema.ts';
export { IncidentView, readWindow } from './view.ts';
