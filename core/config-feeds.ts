import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

/**
 * Feed capabilities: what each source (the events' `source` field) sends, declared in a YAML or JSON file
 * (DOCKSIDE_FEEDS_FILE). Sources not listed are learned by the detector from what arrives. A rule that
 * waits for a signal its source does not send stays quiet for that source (exceptions/feeds.ts).
 *
 *   sources:
 *     olist: { pod: false }        # never sends PODs: missing_pod is off for deliveries it reports
 *     carrier-edi: { pod: true }   # sends PODs: missing_pod applies from its first delivery
 *   learn:
 *     min_deliveries: 50           # after this many deliveries with no POD a source is reported "no POD feed"
 */

/** The signals a source may declare. A new one is a name here plus its line in `signalShape`. */
export const feedSignals = ['pod'] as const;
export type FeedSignal = (typeof feedSignals)[number];

export const feedsEnvShape = {
  /** Path of the feed capabilities file (YAML or JSON); unset = nothing declared, everything learned. */
  DOCKSIDE_FEEDS_FILE: z.string().min(1).optional(),
};

const signalShape = { pod: z.boolean().optional() } satisfies Record<FeedSignal, z.ZodType>;
export const DEFAULT_MIN_DELIVERIES = 50;

const feedsFileSchema = z.strictObject({
  sources: z.record(z.string().min(1), z.strictObject(signalShape)).nullish(),
  learn: z.strictObject({ min_deliveries: z.number().int().min(1).max(1_000_000_000).optional() }).nullish(),
});

/** Per source: true = sends the signal, false = never does, absent = learned. */
export type FeedDeclaration = Readonly<Partial<Record<FeedSignal, boolean>>>;

export interface FeedsConfig {
  /** The file the declarations were read from (absent: none declared). */
  readonly file?: string;
  readonly sources: Readonly<Record<string, FeedDeclaration>>;
  readonly learn: { readonly minDeliveries: number };
}

/** Nothing declared: every source's capabilities are learned. */
export const NO_FEEDS: FeedsConfig = Object.freeze({
  sources: Object.freeze({}),
  learn: Object.freeze({ minDeliveries: DEFAULT_MIN_DELIVERIES }),
});

export function feedsConfig(e: { DOCKSIDE_FEEDS_FILE?: string | undefined }): FeedsConfig {
  if (!e.DOCKSIDE_FEEDS_FILE) return NO_FEEDS;
  const file = path.resolve(e.DOCKSIDE_FEEDS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('DOCKSIDE_FEEDS_FILE', `DOCKSIDE_FEEDS_FILE=${file}: cannot read the file`, {
      cause,
    });
  }
  return parseFeeds(text, file);
}

/** Parses the text of a feeds file (YAML, or JSON which is YAML too); errors name file, field, value, expectation. */
export function parseFeeds(text: string, file: string): FeedsConfig {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new ConfigError('DOCKSIDE_FEEDS_FILE', `DOCKSIDE_FEEDS_FILE=${file}: not valid YAML or JSON`, {
      cause,
    });
  }
  const parsed = feedsFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      'DOCKSIDE_FEEDS_FILE',
      `DOCKSIDE_FEEDS_FILE=${file}: ${formatIssues(fieldIssues(parsed.error, data))}`,
      { cause: parsed.error },
    );
  }
  const sources: Record<string, FeedDeclaration> = {};
  for (const [source, declared] of Object.entries(parsed.data.sources ?? {})) {
    const d: Partial<Record<FeedSignal, boolean>> = {};
    for (const s of feedSignals) if (declared[s] !== undefined) d[s] = declared[s];
    sources[source] = d;
  }
  return {
    file,
    sources,
    learn: { minDeliveries: parsed.data.learn?.min_deliveries ?? DEFAULT_MIN_DELIVERIES },
  };
}
