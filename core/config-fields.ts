import { z } from 'zod';

/** Field types shared by the configuration schemas (config.ts, config-writeback.ts). */
export const urlWithProtocols = (protocols: readonly string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { message: `a URL with protocol ${protocols.join(' or ')}` },
  );

export const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
