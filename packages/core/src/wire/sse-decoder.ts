// Server-Sent Events decoding, by the rules of the HTML standard: `data:` lines
// joined by newlines, `event:` and `id:` fields, `:` comments, lines ending in
// CRLF, LF or a lone CR, a byte order mark at the start ignored, and an event
// ending at a blank line. Text goes in as it arrives, split anywhere; complete
// events come out. A line longer than the cap is an error, not unbounded memory.

export interface SseEvent {
  event: string | undefined;
  /** The `id:` field, when the event had one. */
  id?: string;
  data: string;
}

export interface SseDecoderOptions {
  /** Longest line, in characters, before the stream counts as broken (default 8 MiB). */
  maxLineLength?: number;
}

/** A line went past `maxLineLength` without ending: the stream is not one a reader should hold. */
export class SseLineTooLongError extends SyntaxError {
  override readonly name = 'SseLineTooLongError';
}

const LF = 10;
const CR = 13;
const BOM = 0xfeff;

/** Splits decoded text into SSE events; keeps an unfinished tail for the next piece. */
export class SseDecoder {
  readonly #maxLineLength: number;
  #tail = '';
  #started = false;
  /** The last piece ended in CR: an LF opening the next one belongs to that line end. */
  #afterCR = false;
  #event: string | undefined;
  #id: string | undefined;
  #data: string[] = [];

  constructor(options: SseDecoderOptions = {}) {
    this.#maxLineLength = options.maxLineLength ?? 8 * 1024 * 1024;
  }

  push(text: string, into: SseEvent[]): void {
    let buffer = this.#tail + text;
    let start = 0;
    if (!this.#started && buffer.length) {
      this.#started = true;
      if (buffer.charCodeAt(0) === BOM) start = 1;
    }
    if (this.#afterCR && buffer.length > start) {
      this.#afterCR = false;
      if (buffer.charCodeAt(start) === LF) start++;
    }
    if (buffer.indexOf('\r', start) === -1) {
      // The common case, LF only: find line ends with indexOf.
      for (let end = buffer.indexOf('\n', start); end !== -1; end = buffer.indexOf('\n', start)) {
        this.#line(buffer.slice(start, end), into);
        start = end + 1;
      }
    } else {
      for (let i = start; i < buffer.length; i++) {
        const code = buffer.charCodeAt(i);
        if (code !== LF && code !== CR) continue;
        this.#line(buffer.slice(start, i), into);
        if (code === CR) {
          if (i + 1 === buffer.length) this.#afterCR = true;
          else if (buffer.charCodeAt(i + 1) === LF) i++;
        }
        start = i + 1;
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length > this.#maxLineLength) {
      this.#tail = '';
      throw new SseLineTooLongError(
        `a server-sent event line passed ${this.#maxLineLength} characters without ending`,
      );
    }
    this.#tail = buffer;
  }

  /** The body ended: a last event without its blank line still counts. */
  end(into: SseEvent[]): void {
    if (this.#tail) this.#line(this.#tail, into);
    this.#tail = '';
    this.#line('', into);
  }

  #line(line: string, into: SseEvent[]) {
    if (line === '') {
      if (this.#data.length || this.#event !== undefined) {
        const id = this.#id === undefined ? {} : { id: this.#id };
        into.push({ event: this.#event, ...id, data: this.#data.join('\n') });
      }
      this.#event = undefined;
      this.#id = undefined;
      this.#data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' starts a comment (keep-alives)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
  }
}
