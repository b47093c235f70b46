import type { Command } from 'commander';
import { DataDirInUseError, DocksideError } from '../core/mod.ts';
import { buildProgram } from './program.ts';

const program = buildProgram();
// The command being run, so a message about a busy data directory says which command cannot run.
let running = 'dockside';
program.hook('preAction', (_root, action: Command) => {
  const names: string[] = [];
  for (let c: Command | null = action; c; c = c.parent) names.unshift(c.name());
  running = names.join(' ');
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof DataDirInUseError) {
    console.error(`${running}: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (err instanceof DocksideError) {
    console.error(`dockside: ${err.message}`);
    process.exit(err.action === 'reject' ? 2 : 1);
  }
  throw err;
}
