import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  ack,
  type Config,
  consumeDurable,
  DEFAULT_MAX_JSON_DEPTH,
  ensureDurable,
  type Logger,
  type Metrics,
  parseJsonGuarded,
  RejectError,
  type Running,
  type StreamNames,
} from '../core/mod.ts';
import type { EventPublisher } from './publisher.ts';

/**
 * NATS producers publish canonical JSON to `<prefix>.in.<source>.<type>` (captured by the INGEST stream).
 * Each message is validated and republished to the events stream, or parked in the dead-letter stream with
 * its reason; it is acked only after one of the two is stored.
 */
export async function startNatsIngest(deps: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  publisher: EventPublisher;
  metrics: Metrics;
  logger: Logger;
  config: Pick<Config, 'delivery'>;
}): Promise<Running> {
  const durable = deps.names.consumer('ingest');
  await ensureDurable(deps.jsm, deps.names.ingestStream, durable);
  return consumeDurable(
    { ...deps, deadLetters: (entry) => deps.publisher.deadLetter(entry) },
    deps.names.ingestStream,
    durable,
    async (msg) => {
      const source = `nats:${msg.subject.split('.')[2] ?? 'unknown'}`;
      const raw = msg.string();
      let value: unknown;
      try {
        // The same depth guard as HTTP and files: a hostile `[[[[…` is a dead letter, not a stack overflow.
        value = parseJsonGuarded(raw, DEFAULT_MAX_JSON_DEPTH, 'message');
      } catch (err) {
        if (!(err instanceof RejectError)) throw err;
        await deps.publisher.deadLetter({
          source,
          position: `${msg.subject}#${msg.seq}`,
          code: err.code === 'JSON_INVALID' ? 'EVENT_NOT_JSON' : err.code,
          reason: err.message,
          raw,
        });
        deps.metrics.ingested.inc({ source, result: 'rejected' });
        deps.metrics.deadLetters.inc({ source, code: err.code });
        return ack;
      }
      const result = await deps.publisher.submit(value);
      deps.metrics.ingested.inc({ source, result: result.status });
      if (result.status === 'rejected') {
        await deps.publisher.deadLetter({
          source,
          position: `${msg.subject}#${msg.seq}`,
          code: result.code,
          reason: result.reason,
          raw,
        });
        deps.metrics.deadLetters.inc({ source, code: result.code });
      }
      return ack;
    },
  );
}
