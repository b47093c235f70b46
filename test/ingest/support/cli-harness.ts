// The ingest commands alone, as the `dockside` binary wires them (imported from ingest/cli.ts, not the
// module entry), so CLI tests do not depend on every other module of the program loading.
import { Command } from 'commander';
import { convertCommand, importCommand } from '../../../ingest/cli.ts';

const program = new Command('dockside').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.addCommand(convertCommand());
program.addCommand(importCommand());
await program.parseAsync(process.argv);
