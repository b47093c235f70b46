import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { forecastCommand } from '../forecasting/mod.ts';
import { convertCommand, deadLettersCommand, importCommand } from '../ingest/mod.ts';
import { auditCommand, customersCommand, policyCommand } from '../writeback/mod.ts';
import { detectCommand } from './commands/detect.ts';
import { replayCommand } from './commands/replay.ts';
import { tokenCommand } from './commands/token.ts';
import { demoCommand, upCommand } from './commands/up.ts';

/**
 * The `dockside` CLI. Each module contributes its commands here; every command has --help,
 * and machine output is --json.
 */
export function buildProgram(): Command {
  const program = new Command('dockside')
    .description('Logistics exception and forecasting stream processor (NATS JetStream + ClickHouse)')
    .version(packageVersion(), '-V, --version', 'print the Dockside version')
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own --help/--version exits are successes; usage errors exit 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  program.addCommand(upCommand());
  program.addCommand(demoCommand());
  // module commands: one line each, below
  program.addCommand(replayCommand());
  program.addCommand(detectCommand());
  program.addCommand(forecastCommand());
  program.addCommand(convertCommand());
  program.addCommand(importCommand());
  program.addCommand(deadLettersCommand());
  program.addCommand(policyCommand());
  program.addCommand(auditCommand());
  program.addCommand(tokenCommand());
  program.addCommand(customersCommand());
  return program;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
