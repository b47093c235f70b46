import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher, RejectError, RetryableError } from '../../core/mod.ts';
import { uniquePrefix } from '../helpers/env.ts';

/** The one JetStream publisher: acks, dedupe, expectations, and each failure as its Dockside class. */
const prefix = uniquePrefix('pub');
const stream = prefix.toUpperCase();
let nc: NatsConnection;
let pub: JetStreamPublisher;

beforeAll(async () => {
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], max_msg_size: 1_024 });
  pub = new JetStreamPublisher(nc, 2_000);
});
afterAll(async () => {
  pub.close();
  await (await jetstreamManager(nc)).streams.delete(stream);
  await nc.close();
});

describe('JetStreamPublisher', () => {
  it('resolves with the stream sequence, and a repeated msg id as a duplicate', async () => {
    const first = await pub.publish(`${prefix}.a`, 'one', { msgID: 'm1' });
    expect(first).toEqual({ stream, seq: expect.any(Number), duplicate: false });
    expect(await pub.publish(`${prefix}.a`, 'one again', { msgID: 'm1' })).toEqual({
      ...first,
      duplicate: true,
    });
  });

  it('checks expectations: a wrong last subject sequence is PUBLISH_EXPECTATION_FAILED', async () => {
    const a = await pub.publish(`${prefix}.x`, 'x1', { expect: { lastSubjectSequence: 0 } });
    await pub.publish(`${prefix}.x`, 'x2', { expect: { lastSubjectSequence: a.seq } });
    const stale = pub.publish(`${prefix}.x`, 'x3', { expect: { lastSubjectSequence: a.seq } });
    await expect(stale).rejects.toBeInstanceOf(RetryableError);
    await expect(stale).rejects.toMatchObject({ code: 'PUBLISH_EXPECTATION_FAILED' });
  });

  it('no stream for the subject: a retryable NO_RESPONDERS naming the subject', async () => {
    const p = pub.publish(`${prefix}_nostream.a`, 'x');
    await expect(p).rejects.toBeInstanceOf(RetryableError);
    await expect(p).rejects.toMatchObject({
      code: 'NO_RESPONDERS',
      message: expect.stringContaining('_nostream.a'),
    });
  });

  it('too large for the stream or the server: a 413 RejectError naming the limit', async () => {
    const overStream = pub.publish(`${prefix}.big`, 'x'.repeat(2_000));
    await expect(overStream).rejects.toBeInstanceOf(RejectError);
    await expect(overStream).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
    const max = nc.info?.max_payload ?? 1_048_576;
    const overServer = pub.publish(`${prefix}.big`, 'x'.repeat(max + 1));
    await expect(overServer).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      httpStatus: 413,
      message: expect.stringContaining(`at most ${max} bytes`),
    });
  });
});
