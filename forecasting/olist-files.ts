import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RejectError } from '../core/mod.ts';
import { OLIST_FILES, type OlistTexts } from './olist.ts';

/** Reads the four Olist CSVs from a folder (the CLI's and the benchmark's way in to olist.ts). */
export async function readOlist(dir: string): Promise<OlistTexts> {
  const read = async (file: string) => {
    try {
      return await readFile(path.join(dir, file), 'utf8');
    } catch (cause) {
      throw new RejectError(
        'OLIST_FILE_MISSING',
        `data: cannot read ${path.join(dir, file)} (${(cause as Error).message})`,
        [
          {
            field: 'data',
            value: dir,
            expected: `a folder holding ${Object.values(OLIST_FILES).join(', ')}`,
          },
        ],
      );
    }
  };
  return {
    orders: await read(OLIST_FILES.orders),
    items: await read(OLIST_FILES.items),
    sellers: await read(OLIST_FILES.sellers),
    customers: await read(OLIST_FILES.customers),
  };
}
