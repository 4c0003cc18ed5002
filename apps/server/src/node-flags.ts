// The Node flags `agentrpc serve` runs with from this repository's launchers
// (`./dev start`, the load benches) and that docs/deployment.md recommends
// for production (NODE_OPTIONS).

/**
 * V8 grows its young generation with the allocation rate, and a server
 * streaming hundreds of runs allocates fast enough to take it to the ceiling
 * V8 derives from the machine's memory. Capped at 8 MiB per semi-space, the
 * server kept its CPU per streamed chunk at 500 and 1,000 streams with about
 * 60–100 MiB less resident memory (docs/deployment.md). A flag, because V8
 * reads it only at start.
 */
export const serverNodeFlags: readonly string[] = ['--max-semi-space-size=8'];
