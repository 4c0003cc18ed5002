import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent, SseLineTooLongError } from './sse-decoder.ts';

/** Decodes `pieces` pushed one after another, then the end of the body. */
function decode(pieces: string[], decoder = new SseDecoder()): SseEvent[] {
  const events: SseEvent[] = [];
  for (const piece of pieces) decoder.push(piece, events);
  decoder.end(events);
  return events;
}

/** Every way to cut `text` in two. */
const cuts = (text: string) =>
  Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);

const stream = 'id: 1\nevent: a\ndata: x\ndata: y\n\n: ping\n\ndata: z\n\n';
const expected: SseEvent[] = [
  { event: 'a', id: '1', data: 'x\ny' },
  { event: undefined, data: 'z' },
];

describe('SseDecoder', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('reads lines ending in %s, however the text is cut', (_, end) => {
    const text = stream.replaceAll('\n', end);
    for (const pieces of cuts(text)) expect(decode(pieces)).toEqual(expected);
  });

  it('reads a stream that mixes line ends', () => {
    expect(decode(['id: 1\r\nevent: a\rdata: x\ndata: y\r\r: ping\n\ndata: z\r\n\r\n'])).toEqual(
      expected,
    );
  });

  it('counts CR then LF across two pieces as one line end, not a blank line', () => {
    expect(decode(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([
      { event: undefined, data: 'a\nb' },
    ]);
  });

  it('ignores a byte order mark at the start only', () => {
    expect(decode(['\uFEFFdata: a\n\n'])).toEqual([{ event: undefined, data: 'a' }]);
    expect(decode(['', '\uFEFF', 'data: a\n\n'])).toEqual([{ event: undefined, data: 'a' }]);
    expect(decode(['data: a\n\n\uFEFFdata: b\n\n'])).toEqual([{ event: undefined, data: 'a' }]);
  });

  it('keeps a last event that has no blank line after it', () => {
    expect(decode(['data: last'])).toEqual([{ event: undefined, data: 'last' }]);
  });

  it('refuses a line longer than its cap instead of holding it', () => {
    const decoder = new SseDecoder({ maxLineLength: 100 });
    const events: SseEvent[] = [];
    decoder.push(`data: ${'x'.repeat(90)}\n\n`, events);
    expect(events).toHaveLength(1);
    decoder.push(`data: ${'y'.repeat(60)}`, events);
    expect(() => decoder.push('y'.repeat(60), events)).toThrow(SseLineTooLongError);
  });
});
