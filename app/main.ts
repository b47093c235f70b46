import { DocksideError } from '../core/mod.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof DocksideError) {
    console.error(`dockside: ${err.message}`);
    process.exit(err.action === 'reject' ? 2 : 1);
  }
  throw err;
}
