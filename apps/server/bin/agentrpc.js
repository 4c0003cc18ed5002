#!/usr/bin/env node
// The `agentrpc` command: runs the built CLI. It loads TypeScript configs
// without a build step and uses node:sqlite, which need Node 22.18 or newer,
// so an older Node is told so plainly instead of failing somewhere later.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `agentrpc needs Node.js 22.18 or newer; this is Node.js ${process.versions.node}. Install Node 24 LTS and run it again.`,
  );
  process.exit(1);
}
// node:sqlite still calls itself experimental in some Node versions; that one
// notice is not worth printing on every start. Other warnings are printed as usual.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
  console.error(`(node) ${warning.name}: ${warning.message}`);
});
await import('../dist/cli.js');
