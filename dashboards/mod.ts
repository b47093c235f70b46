// Public entry of the dashboards module.
export { type LiveFeed, startLiveFeed } from './live.ts';
export { buildServer, type ServerOptions } from './server.ts';
