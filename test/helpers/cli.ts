import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './env.ts';

export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** Spawns `dockside <args>` as a real process, with only the given environment (plus PATH/HOME). */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  opts: { path?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/dockside.js'), ...args], {
    cwd: repoRoot,
    env: { PATH: opts.path ?? process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}
