import type { JetStreamClient } from '@nats-io/jetstream';
import { type DetectedException, RetryableError, type StreamNames } from '../core/mod.ts';

/** Publishes one exception state; Nats-Msg-Id = id + version, so a replayed emission is dropped as a duplicate. */
export async function publishException(
  js: JetStreamClient,
  names: StreamNames,
  ex: DetectedException,
): Promise<boolean> {
  try {
    const ack = await js.publish(names.exceptionSubject(ex.type), JSON.stringify(ex), {
      msgID: `${ex.id}:v${ex.version}`,
    });
    return !ack.duplicate;
  } catch (cause) {
    throw new RetryableError('PUBLISH_FAILED', `publishing exception ${ex.id} failed`, { cause });
  }
}
