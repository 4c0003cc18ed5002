// `pnpm --filter @agentrpc/bench bench:sse-parsers`: the core's SSE decoder
// (eventsource-parser with a line cap and end-of-body handling around it)
// against eventsource-parser alone on the same text, a model's streamed reply
// cut into network-sized pieces: what the wrapper costs. CPU per event, median
// of alternating rounds. Writes its section of bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SseDecoder, type SseEvent } from '@agentrpc/core/wire';
import { createParser } from 'eventsource-parser';
import { median } from './measure.ts';

const events = Number(process.env.EVENTS ?? 200_000);
const rounds = Number(process.env.ROUNDS ?? 15);

/** A streamed Chat Completions reply, cut into pieces of 200 to 4,000 characters. */
function pieces(): string[] {
  const chunk = (i: number) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `tok${i}` }, finish_reason: null }] })}\n\n`;
  const text = Array.from({ length: events }, (_, i) => chunk(i)).join('');
  const out: string[] = [];
  for (let at = 0, n = 0; at < text.length; n++) {
    const size = 200 + ((n * 7919) % 3800);
    out.push(text.slice(at, at + size));
    at += size;
  }
  return out;
}

const parsers: Record<string, (input: string[]) => number> = {
  'agentrpc SseDecoder (wrapper)': (input) => {
    const decoder = new SseDecoder();
    const out: SseEvent[] = [];
    let count = 0;
    for (const piece of input) {
      decoder.push(piece, out);
      count += out.length;
      out.length = 0;
    }
    decoder.end(out);
    return count + out.length;
  },
  'eventsource-parser alone': (input) => {
    let count = 0;
    const parser = createParser({ onEvent: () => count++ });
    for (const piece of input) parser.feed(piece);
    return count;
  },
};

const input = pieces();
const samples = new Map<string, number[]>(Object.keys(parsers).map((name) => [name, []]));
for (let round = 0; round < rounds + 2; round++) {
  const order = round % 2 ? Object.entries(parsers).reverse() : Object.entries(parsers);
  for (const [name, parse] of order) {
    globalThis.gc?.();
    const started = process.cpuUsage();
    const count = parse(input);
    const used = process.cpuUsage(started);
    if (count !== events) throw new Error(`${name} read ${count} events of ${events}`);
    // The first two rounds warm the JIT up and are not counted.
    if (round >= 2) samples.get(name)?.push(((used.user + used.system) * 1000) / events);
  }
}
const ours = median(samples.get('agentrpc SseDecoder (wrapper)') ?? []);
const lines = [
  '## SSE parsers',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}: ${events.toLocaleString('en')} streamed-reply events,`,
  `cut into pieces of 200–4,000 characters, parsed ${rounds} times each in alternating order after 2 warm-up rounds;`,
  'process CPU per event, median. Rerun: `pnpm --filter @agentrpc/bench bench:sse-parsers`.',
  '',
  "The core's decoder (used by the model reader and the SDK's SSE reader) is eventsource-parser with a",
  'line cap and end-of-body handling around it. It replaced a hand-written decoder that measured 560 ns per',
  'event in the same run as eventsource-parser at 360 (0.64×); the wrapper now costs what this table shows.',
  '',
  '| parser | ns per event | × agentrpc decoder |',
  '| --- | ---: | ---: |',
  ...[...samples].map(([name, list]) => {
    const ns = median(list);
    return `| ${name} | ${ns.toFixed(0)} | ${(ns / ours).toFixed(2)} |`;
  }),
  '',
];
console.log(lines.join('\n'));
const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const previous = readFileSync(results, 'utf8');
const start = previous.indexOf('\n## SSE parsers\n');
const end = start === -1 ? -1 : previous.indexOf('\n## ', start + 2);
const before =
  start === -1 ? previous.split('\n## Load:')[0]?.trimEnd() : previous.slice(0, start).trimEnd();
const after =
  start === -1
    ? `\n## Load:${previous.split('\n## Load:')[1] ?? ''}`
    : end === -1
      ? ''
      : previous.slice(end);
writeFileSync(results, `${before}\n\n${lines.join('\n').trimEnd()}\n${after}`);
