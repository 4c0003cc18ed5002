import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listen } from './listen.ts';

/** One GET on a fresh connection; its body. */
async function get(port: number): Promise<string> {
  const req = request({ port, host: '127.0.0.1', agent: false });
  req.end();
  const [res] = await once(req, 'response');
  let body = '';
  for await (const chunk of res) body += chunk;
  return body;
}

describe('listen', () => {
  it('serves every connection to the port, whichever listening socket took it, until closed', async () => {
    const server = createServer((_, res) => res.end('ok'));
    const listening = await listen(server, { port: 0, host: '127.0.0.1' });
    const bodies = await Promise.all(Array.from({ length: 64 }, () => get(listening.port)));
    expect(bodies).toEqual(Array(64).fill('ok'));
    listening.close();
    server.close();
    const refused = connect(listening.port, '127.0.0.1');
    const [error] = await once(refused, 'error');
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses a port another server already listens on, as a plain listen would', async () => {
    const first = createServer();
    const listening = await listen(first, { port: 0, host: '127.0.0.1' });
    const second = createServer();
    await expect(listen(second, { port: listening.port, host: '127.0.0.1' })).rejects.toMatchObject(
      {
        code: 'EADDRINUSE',
      },
    );
    listening.close();
    first.close();
  });
});
