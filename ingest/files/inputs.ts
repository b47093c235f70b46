import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** A directory named on the command line (or under one) could not be listed. */
export class InputsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputsError';
  }
}

/**
 * The files a command line names: a file as given, a directory as the files under it (recursively,
 * in path order, without dotfiles such as `.DS_Store`). A path that cannot be read, or a directory with
 * no files in it, is kept as given, so conversion rejects it with its reason instead of it vanishing.
 */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const files = (await kindOf(p)) === 'directory' ? await filesUnder(p) : [];
    out.push(...(files.length > 0 ? files : [p]));
  }
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause: NodeJS.ErrnoException) => {
    throw new InputsError(`cannot list directory ${dir} (${cause.code ?? cause.message})`, { cause });
  });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await filesUnder(full)));
    // A symlink counts when it points at a file; one to a directory is not followed (no cycles).
    else if (e.isFile() || (e.isSymbolicLink() && (await kindOf(full)) === 'file')) files.push(full);
  }
  return files;
}

function kindOf(p: string): Promise<'file' | 'directory' | 'other'> {
  return stat(p).then(
    (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other'),
    () => 'other',
  );
}
