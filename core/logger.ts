import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';
import { redactPersonal } from './redact.ts';

export type { Logger } from 'pino';

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { svc: 'dockside' },
      // Personal fields at any depth (pino's own paths reach fixed depths only); headers are serialized
      // request objects, which the walk leaves alone, so their two secrets are named here.
      formatters: { log: (obj) => redactPersonal(obj) as Record<string, unknown> },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}
