/**
 * What a source's deliveries and PODs say about its feed, and whether missing_pod applies to it: one verdict,
 * in one wording, for the detector's feed view (`dockside replay`, metric samples) and `GET /api/quality`.
 * The rule itself (exceptions/feeds.ts): missing_pod applies to a delivery reported by S iff S is declared
 * `pod: true`, or not declared `pod: false` and a POD for a shipment S delivered came before the deadline.
 */

/** Learned from events: `sends` (a POD seen), `none` (min deliveries reached, no POD), `unknown` (too few). */
export type LearnedFeed = 'sends' | 'none' | 'unknown';
/** With the declaration (DOCKSIDE_FEEDS_FILE) on top: declared / declared-none win over what was learned. */
export type PodFeed = 'declared' | 'declared-none' | 'sends' | 'none' | 'learning';

export interface FeedVerdict {
  readonly learned: LearnedFeed;
  readonly pod: PodFeed;
  readonly missingPod: 'on' | 'off';
  /** For people, e.g. "source olist sends no PODs: missing_pod is off for it". */
  readonly text: string;
}

export const FEEDS_FILE_VARIABLE = 'DOCKSIDE_FEEDS_FILE';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function podFeedVerdict(input: {
  readonly source: string;
  readonly deliveries: number;
  readonly pods: number;
  /** The declared `pod` of this source, undefined when it is not declared. */
  readonly declaredPod: boolean | undefined;
  readonly minDeliveries: number;
}): FeedVerdict {
  const { deliveries, pods, declaredPod, minDeliveries } = input;
  const learned: LearnedFeed = pods > 0 ? 'sends' : deliveries >= minDeliveries ? 'none' : 'unknown';
  const pod: PodFeed =
    declaredPod === true
      ? 'declared'
      : declaredPod === false
        ? 'declared-none'
        : learned === 'unknown'
          ? 'learning'
          : learned;
  const missingPod = pod === 'declared' || pod === 'sends' ? 'on' : 'off';
  const name = `source ${input.source || '(unnamed)'}`;
  const where = `(declared in ${FEEDS_FILE_VARIABLE})`;
  const text =
    pod === 'declared'
      ? `${name} sends PODs ${where}: missing_pod is on for it`
      : pod === 'declared-none'
        ? `${name} sends no PODs ${where}: missing_pod is off for it`
        : pod === 'sends'
          ? `${name} sends PODs: missing_pod is on for it`
          : pod === 'none'
            ? `${name} sends no PODs: missing_pod is off for it`
            : `${name} has reported ${plural(deliveries, 'delivery', 'deliveries')} and no POD yet (judged after ${minDeliveries}): missing_pod is off for it until a POD arrives`;
  return { learned, pod, missingPod, text };
}
