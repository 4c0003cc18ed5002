// CORS for browsers calling the API from another origin, when configured.
import type { IncomingMessage, ServerResponse } from 'node:http';

export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  cors: { origins: string[] | '*' } | undefined,
): boolean {
  const origin = req.headers.origin;
  if (!cors || !origin) return false;
  const allowed = cors.origins === '*' || cors.origins.includes(origin);
  if (!allowed) return false;
  res.setHeader('access-control-allow-origin', cors.origins === '*' ? '*' : origin);
  res.setHeader('vary', 'origin');
  res.setHeader(
    'access-control-allow-headers',
    'authorization, content-type, trpc-accept, last-event-id',
  );
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return true;
  }
  return false;
}
