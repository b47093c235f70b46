// Public entry of the dashboards module.

export {
  type AccessOptions,
  type RouteEntry,
  type RouteRule,
  registerAccessControl,
  registeredRoutes,
  routePermissions,
  routeTable,
  unclassifiedRoutes,
} from './access.ts';
export { accessMatrixMarkdown } from './access-matrix.ts';
export { registerErrorHandler, sendReject } from './errors.ts';
export { computeKpis, registerKpiRoutes } from './kpis.ts';
export { type LiveFeed, startLiveFeed } from './live.ts';
export { opsReport, registerOpsRoutes } from './ops.ts';
export { buildServer, type ServerAuth, type ServerOptions } from './server.ts';
export { SESSION_COOKIE, type SigninUser, signinPage } from './session.ts';
