import { type JsMsg, jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ack,
  consumeDurable,
  createLogger,
  type DeadLetter,
  deadLetterSchema,
  deadLettersTo,
  deleteStreams,
  ensureDurable,
  ensureStreams,
  loadConfig,
  publisherFor,
  RejectError,
  type StreamNames,
  streamNames,
} from '../../core/mod.ts';
import { uniquePrefix } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

/** No silent drops: a consumer whose handler fails is retried with back-off, then dead-lettered, never acked. */
const prefix = uniquePrefix('consume');
const config = loadConfig(
  {},
  {
    DOCKSIDE_PREFIX: prefix,
    DOCKSIDE_MAX_DELIVERIES: '3',
    DOCKSIDE_RETRY_BACKOFF_MS: '20',
    LOG_LEVEL: 'silent',
  },
);
const logger = createLogger(config);
let nc: NatsConnection;
let names: StreamNames;

beforeAll(async () => {
  nc = await connect({ servers: config.natsUrl });
  names = streamNames(prefix);
  await ensureStreams(nc, names, config);
});
afterAll(async () => {
  await deleteStreams(nc, names);
  await nc.close();
});

async function deadLetters(): Promise<DeadLetter[]> {
  const jsm = await jetstream(nc).jetstreamManager();
  const info = await jsm.streams.info(names.deadLetterStream);
  const out: DeadLetter[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(names.deadLetterStream, { seq });
    if (m) out.push(deadLetterSchema.parse(m.json()));
  }
  return out;
}

/** Runs a consumer over `bodies` on the events stream; `fail` decides which messages throw what. */
async function run(durable: string, bodies: string[], fail: (body: string) => Error | undefined) {
  const js = jetstream(nc);
  const jsm = await js.jetstreamManager();
  const subject = names.eventSubject(0, `test.${durable.toLowerCase()}`);
  await ensureDurable(jsm, names.eventsStream, durable, { filter: subject });
  const deliveries = new Map<string, number[]>();
  const processed: string[] = [];
  const running = await consumeDurable(
    { js, deadLetters: deadLettersTo(publisherFor(nc), names), config, logger },
    names.eventsStream,
    durable,
    async (msg: JsMsg) => {
      const body = msg.string();
      deliveries.set(body, [...(deliveries.get(body) ?? []), msg.info.deliveryCount]);
      const err = fail(body);
      if (err) throw err;
      processed.push(body);
      return ack;
    },
  );
  for (const b of bodies) await js.publish(subject, b);
  return { running, deliveries, processed, jsm, subject };
}

describe('consumeDurable', () => {
  it('retries an unexpected error with back-off up to the delivery cap, then dead-letters the raw message', async () => {
    const durable = names.consumer('plain_error');
    const bodies = ['{"n":1}', '{"n":2,"poison":true}', '{"n":3}'];
    const { running, deliveries, processed, jsm } = await run(durable, bodies, (b) =>
      b.includes('poison') ? new Error('handler bug: cannot read poison') : undefined,
    );
    const parked = await waitFor('the poison message in the dead-letter stream', async () => {
      const all = (await deadLetters()).filter((d) => d.source === `consumer:${durable}`);
      return all.length > 0 ? all : undefined;
    });
    // Each delivery before the cap was nak'ed, not acked: the server redelivered it until the cap.
    expect(deliveries.get(bodies[1] as string)).toEqual([1, 2, 3]);
    expect(processed.sort()).toEqual([bodies[0], bodies[2]]);
    expect(parked).toHaveLength(1);
    const dl = parked[0] as DeadLetter;
    expect(dl.raw).toBe(bodies[1]);
    expect(dl.reason).toContain('Error: handler bug: cannot read poison');
    expect(dl.reason).toContain('3 deliveries');
    expect(dl.code).toBe('HANDLER_FAILED');
    expect(dl.position).toMatch(new RegExp(`^${names.eventsStream}#\\d+$`));
    // Terminated after parking: nothing left pending or unacknowledged.
    await waitFor('the consumer to settle', async () => {
      const info = await jsm.consumers.info(names.eventsStream, durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    });
    await running.stop();
  });

  it('dead-letters bad input (a Dockside reject) at once, with its reason', async () => {
    const durable = names.consumer('reject_error');
    const bodies = ['{"bad":1}', '{"ok":1}'];
    const { running, deliveries, processed } = await run(durable, bodies, (b) =>
      b.includes('bad') ? new RejectError('EVENT_INVALID', 'field "bad" must not be set') : undefined,
    );
    const dl = await waitFor('the rejected message in the dead-letter stream', async () =>
      (await deadLetters()).find((d) => d.source === `consumer:${durable}`),
    );
    expect(deliveries.get(bodies[0] as string)).toEqual([1]);
    expect(processed).toEqual([bodies[1]]);
    expect(dl).toMatchObject({ raw: bodies[0], code: 'EVENT_INVALID' });
    expect(dl.reason).toContain('field "bad" must not be set');
    await running.stop();
  });
});
