import type { Zone } from '../files/local-time.ts';
import { type Converted, fieldError, reject, rejectionFrom, validate } from '../files/record.ts';
import { readEnvelopes, segmentPosition, setText } from './envelope.ts';
import type { MappedItem, SetContext } from './set-context.ts';
import { tokenizeX12 } from './tokenizer.ts';
import { map214 } from './ts214.ts';
import { map856 } from './ts856.ts';
import { map945 } from './ts945.ts';

export interface X12Options {
  /** Zone for LT and absent X12 time codes: the sender's local time. */
  readonly localZone: Zone;
  readonly maxSegmentBytes?: number;
  readonly maxSetSegments?: number;
  readonly onBytes?: (n: number) => void;
}

const MAPPERS: Readonly<Record<string, (ctx: SetContext) => MappedItem[]>> = {
  '214': map214,
  '856': map856,
  '945': map945,
};

/** One X12 file (any number of interchanges) → canonical events and rejections, streamed. */
export async function* convertX12(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: X12Options,
): AsyncGenerator<Converted> {
  const tokens = tokenizeX12(source, {
    ...(options.maxSegmentBytes ? { maxSegmentBytes: options.maxSegmentBytes } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  const envelopes = readEnvelopes(
    tokens,
    options.maxSetSegments ? { maxSetSegments: options.maxSetSegments } : {},
  );
  for await (const item of envelopes) {
    if (item.kind === 'error') {
      yield reject(
        { file, position: item.error.position, raw: item.error.raw },
        item.error.code,
        item.error.reason,
      );
      continue;
    }
    const set = item.set;
    const raw = setText(set.segments);
    const st = set.segments[0];
    const mapper = MAPPERS[set.code];
    if (!mapper || !st) {
      const origin = { file, position: st ? segmentPosition(st) : `ST ${set.controlNumber}`, raw };
      yield rejectionFrom(
        fieldError(
          'X12_UNSUPPORTED_SET',
          'ST-01',
          set.code,
          `one of ${Object.keys(MAPPERS).join(', ')} (the transaction sets Dockside maps)`,
        ),
        origin,
      );
      continue;
    }
    for (const mapped of mapper({ set, localZone: options.localZone })) {
      const origin = { file, position: mapped.position, raw };
      yield 'error' in mapped
        ? rejectionFrom(mapped.error, origin)
        : validate(mapped.candidate, origin, mapped.context);
    }
  }
}
