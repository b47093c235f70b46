import path from 'node:path';

/** The file formats `convert`/`import` read; `auto` detects one per file. */
export const formatChoices = ['auto', 'ndjson', 'csv', 'x12', 'epcis'] as const;
export type FormatChoice = (typeof formatChoices)[number];
export type Format = Exclude<FormatChoice, 'auto'>;

/** Bytes read from the start of a file to detect its format. */
export const SNIFF_BYTES = 65_536;

const EPCIS_MARKER = /"type"\s*:\s*"EPCIS(Query)?Document"|"epcisBody"\s*:|"@context"\s*:/;

/**
 * Detects a file's format from its first bytes, then its extension. Content wins, because EDI files
 * arrive as `.txt`, `.edi`, `.x12` or nothing, and JSON-LD as `.json`:
 *   starts with `ISA`                               → x12
 *   starts with `{` and has an EPCIS marker          → epcis  (document type, epcisBody or @context)
 *   starts with `{`                                 → ndjson
 *   extension .csv/.tsv, or a first line with commas → csv
 */
export function detectFormat(fileName: string, head: Buffer): Format | undefined {
  let text = head.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  text = text.trimStart();
  const ext = path.extname(fileName).toLowerCase();
  if (text.startsWith('ISA')) return 'x12';
  if (text.startsWith('{')) {
    if (EPCIS_MARKER.test(text) || ext === '.jsonld') return 'epcis';
    return 'ndjson';
  }
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.jsonld') return 'epcis';
  if (ext === '.edi' || ext === '.x12') return 'x12';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  const firstLine = text.split('\n', 1)[0] ?? '';
  if (firstLine.includes(',') && !firstLine.includes('{')) return 'csv';
  return undefined;
}
