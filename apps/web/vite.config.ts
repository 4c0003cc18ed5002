// Builds the console into dist/. @agentrpc/server serves it at / from here in
// the workspace, and from its own web/ folder once packed (see its prepack).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  build: {
    // One small app: everything it needs at start in one script.
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `pnpm --filter @agentrpc/web dev` beside `./dev start`: the API is on 3000.
    proxy: { '/trpc': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
