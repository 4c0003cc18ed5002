import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { sseChunks } from './sse-chunks.ts';
import type { ChatCompletionChunk } from './types.ts';

/** A streaming response whose body arrives in exactly these byte pieces. */
function responseOf(pieces: (string | Uint8Array)[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) {
        controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

const chunk = (content: string) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

/** The content deltas (the closing chunk added after a [DONE] carries none). */
async function contents(response: Response): Promise<string[]> {
  const out: string[] = [];
  for await (const c of sseChunks(response)) {
    const content = c.choices[0]?.delta.content;
    if (content !== undefined) out.push(content ?? '');
  }
  return out;
}

describe('sseChunks', () => {
  it('reads events split anywhere, including inside a multi-byte character', async () => {
    const text = `data: ${JSON.stringify(chunk('héllo'))}\n\ndata: ${JSON.stringify(chunk('wörld'))}\n\ndata: [DONE]\n\n`;
    const bytes = new TextEncoder().encode(text);
    const accent = bytes.indexOf(0xc3);
    const pieces = [
      bytes.slice(0, accent + 1),
      bytes.slice(accent + 1, accent + 9),
      bytes.slice(accent + 9),
    ];
    expect(await contents(responseOf(pieces))).toEqual(['héllo', 'wörld']);
  });

  it('skips a byte order mark split across reads, and marks bytes that are not UTF-8', async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const text = `data: ${JSON.stringify(chunk('a'))}\n\ndata: [DONE]\n\n`;
    expect(await contents(responseOf([bom.slice(0, 2), bom.slice(2), text]))).toEqual(['a']);
    const json = new TextEncoder().encode(JSON.stringify(chunk('bXd')));
    json[json.indexOf(0x58)] = 0xff; // the X: a byte no UTF-8 text has
    const pieces = [new TextEncoder().encode('data: '), json, '\n\ndata: [DONE]\n\n'];
    expect(await contents(responseOf(pieces))).toEqual(['b\uFFFDd']);
  });

  it('accepts CRLF lines, comments, data without a space and multi-line data', async () => {
    const json = JSON.stringify(chunk('a'));
    const split = JSON.stringify(chunk('b')).replace('"choices"', '\n"choices"');
    const [first, second] = split.split('\n');
    const text = `: keep-alive\r\n\r\ndata:${json}\r\n\r\ndata: ${first}\ndata: ${second}\n\ndata: [DONE]\n\n`;
    expect(await contents(responseOf([text]))).toEqual(['a', 'b']);
  });

  it('ignores whatever follows [DONE], and takes a last event without its blank line', async () => {
    const done = `data: ${JSON.stringify(chunk('x'))}\n\ndata: [DONE]\n\ndata: ${JSON.stringify(chunk('late'))}\n\n`;
    expect(await contents(responseOf([done]))).toEqual(['x']);
    const unterminated = `data: ${JSON.stringify(chunk('y'))}`;
    expect(await contents(responseOf([unterminated]))).toEqual(['y']);
  });

  it('throws the provider error an event carries, as the openai SDK does', async () => {
    const inData = `data: ${JSON.stringify(chunk('a'))}\n\ndata: {"error":{"message":"overloaded"}}\n\n`;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const c of sseChunks(responseOf([inData])))
        seen.push(c.choices[0]?.delta.content ?? '');
    })();
    await expect(reading).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(seen).toEqual(['a']);
    const named = 'event: error\ndata: {"message":"bad gateway"}\n\n';
    await expect(contents(responseOf([named]))).rejects.toThrow(/bad gateway/);
  });

  it('rejects malformed JSON with a clear error', async () => {
    await expect(contents(responseOf(['data: {not json\n\n']))).rejects.toThrow(
      /malformed server-sent event JSON/,
    );
  });

  it('stops reading the body when the reader leaves early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk('z'))}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    const iterator = sseChunks(new Response(body));
    const first = (await iterator.next()).value as ChatCompletionChunk;
    expect(first.choices[0]?.delta.content).toBe('z');
    await iterator.return?.();
    expect(cancelled).toBe(true);
    expect((await iterator.next()).done).toBe(true);
  });

  it('holds the body back while the reader is behind, and goes on as it reads', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls > 200) {
          controller.enqueue(new TextEncoder().encode('data: [DONE]\n\n'));
          controller.close();
          return;
        }
        // A 2 KB keep-alive comment with each event, so the unread bytes add up quickly.
        const event = `: ${'.'.repeat(2048)}\n\ndata: ${JSON.stringify(chunk(`${pulls}`))}\n\n`;
        controller.enqueue(new TextEncoder().encode(event));
      },
    });
    const iterator = sseChunks(new Response(body));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Paused after about 64 KB unread (some 30 pulls), not the whole body.
    expect(pulls).toBeGreaterThan(10);
    expect(pulls).toBeLessThan(80);
    const seen: string[] = [];
    for await (const c of iterator) {
      const content = c.choices[0]?.delta.content;
      if (content !== undefined) seen.push(content ?? '');
    }
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => `${i + 1}`));
  });

  it('closes with a finish_reason at [DONE] when no chunk carried one, and only then', async () => {
    const finishes = async (text: string) => {
      const out: (string | null | undefined)[] = [];
      for await (const c of sseChunks(responseOf([text]))) out.push(c.choices[0]?.finish_reason);
      return out;
    };
    const open = `data: ${JSON.stringify(chunk('a'))}\n\ndata: [DONE]\n\n`;
    expect(await finishes(open)).toEqual([null, 'stop']);
    const closed = { ...chunk(''), choices: [{ index: 0, delta: {}, finish_reason: 'length' }] };
    const finished = `${open.replace('data: [DONE]\n\n', '')}data: ${JSON.stringify(closed)}\n\ndata: [DONE]\n\n`;
    expect(await finishes(finished)).toEqual([null, 'length']);
    // No [DONE] and no finish_reason: nothing is made up (the run reports the cut).
    expect(await finishes(`data: ${JSON.stringify(chunk('a'))}\n\n`)).toEqual([null]);
  });

  it("throws vLLM's bare error object instead of passing it on as a chunk", async () => {
    const error = {
      object: 'error',
      message: 'out of memory',
      type: 'InternalServerError',
      code: 500,
    };
    const text = `data: ${JSON.stringify(chunk('a'))}\n\ndata: ${JSON.stringify(error)}\n\n`;
    await expect(contents(responseOf([text]))).rejects.toThrow(/out of memory/);
  });
});
