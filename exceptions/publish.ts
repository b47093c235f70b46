import {
  type DetectedException,
  DocksideError,
  type JetStreamPublisher,
  partitionOf,
  RetryableError,
  type StreamNames,
} from '../core/mod.ts';

/** Publishes one exception state; Nats-Msg-Id = id + version, so a replayed emission is dropped as a duplicate. */
export async function publishException(
  publisher: JetStreamPublisher,
  names: StreamNames,
  partitions: number,
  ex: DetectedException,
): Promise<boolean> {
  try {
    const subject = names.exceptionSubject(partitionOf(ex.id, partitions), ex.type);
    const ack = await publisher.publish(subject, JSON.stringify(ex), { msgID: `${ex.id}:v${ex.version}` });
    return !ack.duplicate;
  } catch (cause) {
    // Too large for the stream is not transient: keep the publisher's class (RejectError).
    if (cause instanceof DocksideError && cause.action !== 'retry') throw cause;
    throw new RetryableError('PUBLISH_FAILED', `publishing exception ${ex.id} failed`, { cause });
  }
}
