import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `dockside <args>` (ingest commands) in a child process with exactly the given environment;
 * `uid` runs it as another user (permission tests, when the suite runs as root).
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  uid?: number,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test/ingest/support/cli-harness.ts'), ...args],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid }) },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
