#!/usr/bin/env node
// The `backlot` bin of @backlot/client. Node only, and not imported by the package's entry, so
// it stays out of what an app bundles.
import { main } from './command.js';

main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(`${text}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A system error (EACCES writing --out, say) says enough in its message; anything else is a bug, with its stack.
    const system = typeof (error as { code?: unknown } | undefined)?.code === 'string';
    const text = error instanceof Error ? (system ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`backlot: ${system ? '' : 'unexpected failure: '}${text}\n`);
    process.exitCode = 70;
  },
);
