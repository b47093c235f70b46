import type { StreamNames } from '../../core/mod.ts';

/** JetStream names the detector owns, beside the core streams (same prefix, so test runs never collide). */
export interface DetectorNames {
  /** Detector side outputs: partials/punctuations for the aggregate stage, late events, metric samples. */
  readonly stream: string;
  readonly aggSubject: (partition: number) => string;
  readonly lateSubject: string;
  readonly metricsSubject: string;
  readonly leaseBucket: string;
  readonly snapshotBucket: string;
}

export function detectorNames(prefix: string, core: StreamNames): DetectorNames {
  return {
    stream: `${core.eventsStream.replace(/_EVENTS$/, '')}_DETECTOR`,
    aggSubject: (p) => `${prefix}.detector.agg.${p}`,
    lateSubject: `${prefix}.detector.late`,
    metricsSubject: `${prefix}.detector.metrics`,
    leaseBucket: core.kvBucket('detector_leases'),
    snapshotBucket: core.kvBucket('detector_snapshots'),
  };
}
