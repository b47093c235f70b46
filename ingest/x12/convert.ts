import type { Zone } from '../files/local-time.ts';
import { type Converted, fieldError, reject, rejectionFrom, validate } from '../files/record.ts';
import { type EnvelopeItem, envelopeReader, segmentPosition, setText } from './envelope.ts';
import type { MappedItem, SetContext } from './set-context.ts';
import { tokenizeX12Batches } from './tokenizer.ts';
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
  for await (const batch of convertX12Batches(file, source, options)) yield* batch;
}

/** The same records in batches: whatever the sets of one read chunk hold, converted in one run. */
export async function* convertX12Batches(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: X12Options,
): AsyncGenerator<Converted[]> {
  const tokens = tokenizeX12Batches(source, {
    ...(options.maxSegmentBytes ? { maxSegmentBytes: options.maxSegmentBytes } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  const envelopes = envelopeReader(options.maxSetSegments ? { maxSetSegments: options.maxSetSegments } : {});
  const items: EnvelopeItem[] = [];
  for await (const batch of tokens) {
    for (const token of batch) envelopes.push(token, items);
    if (items.length > 0) yield convertItems(file, items.splice(0), options);
  }
  envelopes.finish(items);
  if (items.length > 0) yield convertItems(file, items, options);
}

function convertItems(file: string, items: readonly EnvelopeItem[], options: X12Options): Converted[] {
  const out: Converted[] = [];
  for (const item of items) {
    if (item.kind === 'error') {
      out.push(
        reject(
          { file, position: item.error.position, raw: item.error.raw },
          item.error.code,
          item.error.reason,
        ),
      );
      continue;
    }
    const set = item.set;
    // The set's text is only kept with a rejection: build it then, not for every accepted status.
    let text: string | undefined;
    const rawText = () => {
      text ??= setText(set.segments);
      return text;
    };
    const st = set.segments[0];
    const mapper = MAPPERS[set.code];
    if (!mapper || !st) {
      const origin = { file, position: st ? segmentPosition(st) : `ST ${set.controlNumber}`, raw: rawText() };
      out.push(
        rejectionFrom(
          fieldError(
            'X12_UNSUPPORTED_SET',
            'ST-01',
            set.code,
            `one of ${Object.keys(MAPPERS).join(', ')} (the transaction sets Dockside maps)`,
          ),
          origin,
        ),
      );
      continue;
    }
    for (const mapped of mapper({ set, localZone: options.localZone })) {
      out.push(
        'error' in mapped
          ? rejectionFrom(mapped.error, { file, position: mapped.position, raw: rawText() })
          : validate(mapped.candidate, { file, position: mapped.position, raw: rawText }, mapped.context),
      );
    }
  }
  return out;
}
