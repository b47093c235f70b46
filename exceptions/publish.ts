import type { JetStreamClient } from '@nats-io/jetstream';
import { type DetectedException, partitionOf, RetryableError, type StreamNames } from '../core/mod.ts';

/** Publishes one exception state; Nats-Msg-Id = id + version, so a replayed emission is dropped as a duplicate. */
export async function publishException(
  js: JetStreamClient,
  names: StreamNames,
  partitions: number,
  ex: DetectedException,
): Promise<boolean> {
  try {
    const subject = names.exceptionSubject(partitionOf(ex.id, partitions), ex.type);
    const ack = await js.publish(subject, JSON.stringify(ex), {
      msgID: `${ex.id}:v${ex.version}`,
    });
    return !ack.duplicate;
  } catch (cause) {
    throw new RetryableError('PUBLISH_FAILED', `publishing exception ${ex.id} failed`, { cause });
  }
}
