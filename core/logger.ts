import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';

export type { Logger } from 'pino';

/** Fields that can carry personal data (names, addresses, contacts); logs never show their values. */
const PII_PATHS = [
  '*.email',
  '*.phone',
  '*.name',
  '*.contactName',
  '*.address',
  '*.street',
  '*.password',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { svc: 'dockside' },
      redact: { paths: PII_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}
