// `./dev start`, the quick start's command, run as a supervisor runs it: the
// signal goes to the process it started, and the server must stop with it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const devScript = fileURLToPath(new URL('../../../dev', import.meta.url));

describe('./dev start', () => {
  it('stops the server when the process it started gets SIGTERM', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'agentrpc-dev-start-')), 'agentrpc.db');
    const child = spawn(devScript, ['start', '--port', '0'], {
      env: { ...process.env, AGENTRPC_STORE: `sqlite:${store}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<string>((resolve, reject) => {
      const read = (part: Buffer) => {
        output += part.toString();
        const url = /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1];
        if (url) resolve(url);
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', () => reject(new Error(`./dev start exited:\n${output}`)));
    });
    try {
      const url = await listening;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      expect(output).toContain('SIGTERM: finishing runs, then stopping');
      // Nothing is left listening: the server went with the process.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
