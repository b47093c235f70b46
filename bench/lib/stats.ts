export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const a = s[mid] ?? Number.NaN;
  return s.length % 2 ? a : ((s[mid - 1] ?? Number.NaN) + a) / 2;
}

/** Peak resident set size of this process so far, in MiB (Linux: getrusage maxrss is in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
