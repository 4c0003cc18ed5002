// Bundles the SDK for publishing. The JavaScript carries the few pure modules it
// takes from @agentrpc/core (the SSE decoder with eventsource-parser under it,
// whose MIT notice is in LICENSE, and the terminal event types); the
// declarations carry the router's types and the types they reach, so a client
// installs @trpc/client and superjson and nothing of the server.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { dts } from 'rollup-plugin-dts';
import ts from 'typescript';

const external = [/^@trpc\//, 'superjson'];

export default [
  {
    input: 'build/index.js',
    output: { file: 'dist/index.js', format: 'es' },
    external,
    plugins: [nodeResolve()],
  },
  {
    input: 'build/index.d.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    external,
    plugins: [
      dts({
        includeExternal: ['@agentrpc/server', '@agentrpc/core'],
        // Resolve packages by their `exports` (as a consumer's TypeScript does), and the
        // workspace packages to their built declarations, not their sources.
        compilerOptions: {
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          customConditions: [],
        },
      }),
    ],
  },
];
