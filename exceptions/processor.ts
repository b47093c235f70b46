import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import {
  type Config,
  type DetectedException,
  DocksideError,
  type Logger,
  type Metrics,
  type Policy,
  parseEvent,
  publishDeadLetter,
  type Running,
  type StreamNames,
} from '../core/mod.ts';
import { Detector } from './detector.ts';
import { publishException } from './publish.ts';

const RECEIVED_AT_HEADER = 'Dockside-Received-At';
const TICK_MS = 100;

export interface DetectorProcess extends Running {
  readonly detector: Detector;
}

/**
 * Runs the detector over the events stream. State is rebuilt by reading the stream from its start
 * (an ordered consumer); effects are idempotent (deterministic ids, Nats-Msg-Id, ReplacingMergeTree),
 * so re-emitting on restart cannot double anything.
 */
export async function startDetectorProcess(deps: {
  js: JetStreamClient;
  names: StreamNames;
  config: Pick<Config, 'prefix' | 'allowedLatenessMs' | 'idleAdvanceMs'>;
  policy: Policy;
  logger: Logger;
  metrics: Metrics;
}): Promise<DetectorProcess> {
  const { js, names, logger, metrics } = deps;
  const detector = new Detector({
    policy: deps.policy,
    allowedLatenessMs: deps.config.allowedLatenessMs,
    idleAdvanceMs: deps.config.idleAdvanceMs,
  });
  // The stream holds only `<prefix>.events.>`, so no subject filter (filter_subjects needs nats-server 2.10).
  const consumer = await js.consumers.get(names.eventsStream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 5_000 });

  const publishAll = async (emissions: DetectedException[], receivedAtMs?: number) => {
    for (const ex of emissions) {
      await publishException(js, names, ex);
      const now = Date.now();
      metrics.exceptions.inc({ type: ex.type, status: ex.status });
      if (receivedAtMs !== undefined) metrics.detectionLatency.observe((now - receivedAtMs) / 1000);
      else if (ex.status === 'open') {
        const lag = now - Date.parse(ex.occurredAt);
        // Only live deadlines: replaying history would report months of "lag".
        if (lag >= 0 && lag < 3_600_000) metrics.absenceLag.observe(lag / 1000);
      }
    }
  };

  const handle = async (msg: JsMsg) => {
    const text = msg.string();
    try {
      const event = parseEvent(JSON.parse(text));
      const received = Number(msg.headers?.get(RECEIVED_AT_HEADER));
      const outcome = detector.onEvent(event, Date.now());
      if (outcome.late) metrics.lateEvents.inc();
      await publishAll(outcome.emissions, Number.isFinite(received) && received > 0 ? received : undefined);
    } catch (err) {
      if (err instanceof DocksideError && (err.action === 'dead-letter' || err.action === 'reject')) {
        await publishDeadLetter(js, names, {
          source: 'detector',
          position: `${names.eventsStream}#${msg.seq}`,
          code: err.code,
          reason: err.message,
          raw: text,
        });
        metrics.deadLetters.inc({ source: 'detector', code: err.code });
        return;
      }
      if (err instanceof SyntaxError) {
        await publishDeadLetter(js, names, {
          source: 'detector',
          position: `${names.eventsStream}#${msg.seq}`,
          code: 'EVENT_NOT_JSON',
          reason: err.message,
          raw: text,
        });
        return;
      }
      throw err;
    }
  };

  let ticking = Promise.resolve();
  const tick = setInterval(() => {
    ticking = ticking
      .then(async () => {
        await publishAll(detector.advance(Date.now()));
        const s = detector.stats();
        metrics.detectorState.set({ kind: 'shipments' }, s.shipments);
        metrics.detectorState.set({ kind: 'timers' }, s.timers);
        metrics.detectorState.set({ kind: 'exceptions' }, s.exceptions);
        metrics.watermarkLag.set(Math.max(0, (Date.now() - detector.watermarkMs(Date.now())) / 1000));
      })
      .catch((err: unknown) => logger.error({ err }, 'detector tick failed'));
  }, TICK_MS);

  const done = (async () => {
    // Sequential on purpose: the detector is stateful and per-key order matters.
    for await (const msg of messages) {
      try {
        await handle(msg);
      } catch (err) {
        logger.error(
          { err, seq: msg.seq },
          'detector failed on an event; stopping so that a restart replays it',
        );
        break;
      }
    }
  })();

  return {
    detector,
    done,
    async stop() {
      clearInterval(tick);
      await messages.close();
      await done;
      await ticking;
    },
  };
}
