// The server and the SDK use tRPC through its public entry points only: no
// `unstable-core-do-not-import`, no reads of a router's internal config.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe("tRPC's public entry points", () => {
  it('are all the server and the SDK import', () => {
    const files = [
      ...sources(join(root, 'apps/server/src')),
      ...sources(join(root, 'packages/sdk/src')),
    ];
    expect(files.length).toBeGreaterThan(20);
    const offending = files.filter((file) =>
      /unstable-core-do-not-import|_def\._config/.test(readFileSync(file, 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
