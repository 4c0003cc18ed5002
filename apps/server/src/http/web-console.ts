// Serves the web console at / : apps/web's build, which ships in this
// package's web/ folder (in the workspace, it is read from apps/web/dist). Files are read once and kept (a build never changes
// under a running server), gzipped for clients that take it. The console keeps
// its routes in the URL's hash, so / is its only page; other paths are files
// of the build or 404.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Where the build is: the workspace's apps/web/dist (the newest build while
 * developing), else web/ beside src/ and dist/ in the packed package.
 */
export const webRoots = [
  fileURLToPath(new URL('../../../web/dist/', import.meta.url)),
  fileURLToPath(new URL('../../web/', import.meta.url)),
];

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Same origin only: the console talks to this server and nowhere else. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface WebFile {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
}

export interface WebConsole {
  /** Answers the request if it is for the console; false when it is not (a method other than GET/HEAD). */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

/** The console served from `root` (default: the first of webRoots with a build), or undefined when there is none. */
export async function webConsole(root?: string): Promise<WebConsole | undefined> {
  for (const candidate of root ? [root] : webRoots) {
    const served = await consoleFrom(candidate);
    if (served) return served;
  }
  return undefined;
}

async function consoleFrom(root: string): Promise<WebConsole | undefined> {
  const files = new Map<string, Promise<WebFile | undefined>>();
  const load = (relative: string) => {
    let file = files.get(relative);
    if (!file) {
      file = readFile(join(root, relative)).then(
        (body) => {
          const type = contentTypes[extname(relative)] ?? 'application/octet-stream';
          const compressible = /text|javascript|json|svg/.test(type) && body.length > 1024;
          return { body, type, gzipped: compressible ? gzipSync(body) : undefined };
        },
        () => undefined,
      );
      files.set(relative, file);
    }
    return file;
  };
  if (!(await load('index.html'))) return undefined;

  return {
    serve(req, res, path) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path');
        return true;
      }
      const relative = normalize(decoded).replace(/^[/\\]+/, '');
      if (relative.split(sep).includes('..')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return true;
      }
      const wanted = relative === '' || relative === '.' ? 'index.html' : relative;
      void load(wanted).then((file) => {
        if (!file) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
          return;
        }
        const hashed = wanted.startsWith('assets/');
        const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding']));
        res.writeHead(200, {
          ...securityHeaders,
          'content-type': file.type,
          'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
          vary: 'accept-encoding',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : gzip ? file.gzipped : file.body);
      });
      return true;
    },
  };
}
