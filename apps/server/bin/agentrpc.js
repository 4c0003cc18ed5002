#!/usr/bin/env node
// The `agentrpc` command: runs the built CLI. node:sqlite still calls itself
// experimental in some Node versions; that one notice is not worth printing
// on every start. Other warnings are printed as usual.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
  console.error(`(node) ${warning.name}: ${warning.message}`);
});
await import('../dist/cli.js');
