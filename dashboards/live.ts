import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { type DetectedException, exceptionSchema, type Logger, type StreamNames } from '../core/mod.ts';

/** One exception state and its exceptions-stream sequence (the SSE event id). */
export type LiveListener = (ex: DetectedException, seq: number) => void;

export interface ResumeHandlers {
  readonly onException: LiveListener;
  /**
   * The missed states cannot be replayed (too many, no longer in the stream, or too many clients resuming at
   * once): the client should reload its list. Live delivery goes on.
   */
  readonly onReset: (why: string) => void;
}

export interface LiveFeed {
  /** New exception states from now on. Returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void;
  /**
   * The states after stream sequence `afterSeq` (replayed from the stream by an ordered consumer of its
   * own), then live ones, each once and in sequence order. Returns the function that stops it.
   */
  resume(afterSeq: number, handlers: ResumeHandlers): () => void;
  stop(): Promise<void>;
}

export interface LiveFeedOptions {
  /** At most this many replays at once (each is an ordered consumer); more are answered with a reset. */
  readonly maxReplays?: number;
  /** A client that missed more states than this reloads its list instead (a reset). */
  readonly maxReplayMessages?: number;
}

const DEFAULTS = { maxReplays: 16, maxReplayMessages: 20_000 } as const;
/** Live states held back while a replay runs; past this the replay ends in a reset. */
const MAX_HELD = 20_000;

/** Fans new exception states out to live board clients, from an ordered consumer on the exceptions stream. */
export async function startLiveFeed(
  js: JetStreamClient,
  names: StreamNames,
  logger: Logger,
  opts: LiveFeedOptions = {},
): Promise<LiveFeed> {
  const log = logger.child({ mod: 'live' });
  const limits = { ...DEFAULTS, ...opts };
  const listeners = new Set<LiveListener>();
  const parse = (data: unknown, seq: number): DetectedException | undefined => {
    const parsed = exceptionSchema.safeParse(data);
    if (parsed.success) return parsed.data;
    log.warn({ seq }, 'live feed skipped a message that is not an exception');
    return undefined;
  };
  const consumer = await js.consumers.get(names.exceptionsStream, { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  const done = (async () => {
    for await (const msg of messages) {
      const ex = parse(msg.json(), msg.seq);
      if (!ex) continue;
      for (const l of listeners) l(ex, msg.seq);
    }
  })();
  let replaying = 0;

  const subscribe = (listener: LiveListener) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  /** Replays (afterSeq, last] into `deliver`; resolves with the last sequence covered, or a reason to reset. */
  async function replay(
    afterSeq: number,
    deliver: LiveListener,
    stopped: () => boolean,
  ): Promise<{ upTo: number } | { reset: string }> {
    const info = await (await js.streams.get(names.exceptionsStream)).info();
    const last = info.state.last_seq;
    if (afterSeq >= last) return { upTo: afterSeq };
    if (afterSeq + 1 < info.state.first_seq)
      return { reset: 'the missed states are no longer in the stream' };
    if (last - afterSeq > limits.maxReplayMessages)
      return { reset: `more than ${limits.maxReplayMessages} missed` };
    if (replaying >= limits.maxReplays) return { reset: 'too many clients resuming at once' };
    replaying++;
    const ordered = await js.consumers.get(names.exceptionsStream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
    });
    let upTo = afterSeq;
    try {
      while (upTo < last && !stopped()) {
        const batch = await ordered.fetch({ max_messages: 500, expires: 2_000 });
        let got = 0;
        for await (const msg of batch) {
          got++;
          upTo = msg.seq;
          const ex = parse(msg.json(), msg.seq);
          if (ex && !stopped()) deliver(ex, msg.seq);
          if (upTo >= last) break;
        }
        // Nothing more to read below `last` (deleted messages): what is there has been covered.
        if (got === 0) upTo = last;
      }
    } finally {
      replaying--;
      await ordered.delete().catch(() => undefined);
    }
    return { upTo };
  }

  return {
    subscribe,
    resume(afterSeq, handlers) {
      let stopped = false;
      let delivered = afterSeq;
      let held: { ex: DetectedException; seq: number }[] | undefined = [];
      let overflow = false;
      const send: LiveListener = (ex, seq) => {
        if (seq <= delivered) return;
        delivered = seq;
        handlers.onException(ex, seq);
      };
      const unsubscribe = subscribe((ex, seq) => {
        if (!held) return send(ex, seq);
        if (held.length < MAX_HELD) held.push({ ex, seq });
        else overflow = true;
      });
      const finish = (reset?: string) => {
        if (stopped) return;
        const pending = held ?? [];
        held = undefined;
        if (reset || overflow) {
          handlers.onReset(reset ?? 'too many new states while replaying');
          delivered = 0;
        }
        for (const m of pending) send(m.ex, m.seq);
      };
      replay(afterSeq, send, () => stopped).then(
        (r) => finish('reset' in r ? r.reset : undefined),
        (err: unknown) => {
          log.warn({ err, afterSeq }, 'live feed replay failed: the client reloads instead');
          finish('the replay failed');
        },
      );
      return () => {
        stopped = true;
        held = undefined;
        unsubscribe();
      };
    },
    async stop() {
      await messages.close();
      await done;
    },
  };
}
