// The console at / : index.html at /, other paths only as files of the build, hashed assets
// cached for good and gzipped, nothing outside its folder, and off with ui: false.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from './create-server.ts';

const root = mkdtempSync(join(tmpdir(), 'agentrpc-web-'));
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(root, 'assets', 'app-1234.js'), script);
writeFileSync(join(tmpdir(), 'secret.txt'), 'not for the web');

const agents = () => [new Agent({ id: 'a', model: new DemoModel() })];
let server: AgentRpcServer;
let off: AgentRpcServer;
beforeAll(async () => {
  server = await startServer(
    { store: new MemoryStore(), agents: agents(), uiRoot: root },
    { port: 0 },
  );
  off = await startServer(
    { store: new MemoryStore(), agents: agents(), uiRoot: root, ui: false },
    { port: 0 },
  );
});
afterAll(async () => {
  await server?.close(100);
  await off?.close(100);
});

/** A raw GET, so the path reaches the server exactly as written. */
function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(`${server.url}${path}`, { headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the web console', () => {
  it('serves index.html at /, with a same-origin policy, and 404 for paths it does not have', async () => {
    expect((await get('/nothing')).status).toBe(404);
    for (const path of ['/', '/index.html']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('<title>console</title>');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    expect(server.consoleUrl).toBe(`${server.url}/`);
  });

  it('serves hashed assets for good, gzipped when asked', async () => {
    const res = await get('/assets/app-1234.js', { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.body.length).toBeLessThan(script.length / 4);
    expect((await get('/assets/none.js')).status).toBe(404);
  });

  it('serves nothing outside its folder', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt']) {
      const res = await get(path);
      expect(res.body.toString()).not.toContain('not for the web');
    }
    expect((await get('/%E0%A4%A')).status).toBe(400);
  });

  it('is off with ui: false, and the API is unchanged', async () => {
    expect((await fetch(`${off.url}/`)).status).toBe(404);
    expect(off.consoleUrl).toBeUndefined();
    expect((await fetch(`${off.url}/healthz`)).status).toBe(200);
  });
});
