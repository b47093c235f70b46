import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The pid of another live process holding the embedded ClickHouse data directory, if any. ClickHouse writes
 * `PID: n` into `<dir>/status` while it holds the directory (and removes it on a clean close); checking it
 * first spares the caller chDB's native lock error. A file left by a killed process names a dead pid (or,
 * after pid reuse, a process that is not Node) and is ignored: chDB takes the directory over.
 */
export function dataDirHolder(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  return isLiveNode(pid) ? pid : undefined;
}

function isLiveNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but another user's; only ESRCH means gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc (macOS): trust the live pid
  }
}
