// Server-Sent Events decoding, by the rules of the HTML standard: `data:` lines
// joined by newlines, `event:` and `id:` fields, `:` comments, CRLF or LF line
// ends, and an event ending at a blank line. Text goes in as it arrives, split
// anywhere; complete events come out.

export interface SseEvent {
  event: string | undefined;
  /** The `id:` field, when the event had one. */
  id?: string;
  data: string;
}

/** Splits decoded text into SSE events; keeps an unfinished tail for the next piece. */
export class SseDecoder {
  #tail = '';
  #event: string | undefined;
  #id: string | undefined;
  #data: string[] = [];

  push(text: string, into: SseEvent[]): void {
    const buffer = this.#tail + text;
    let start = 0;
    for (;;) {
      const end = buffer.indexOf('\n', start);
      if (end === -1) break;
      const line =
        buffer.charCodeAt(end - 1) === 13 ? buffer.slice(start, end - 1) : buffer.slice(start, end);
      start = end + 1;
      this.#line(line, into);
    }
    this.#tail = buffer.slice(start);
  }

  /** The body ended: a last event without its blank line still counts. */
  end(into: SseEvent[]): void {
    if (this.#tail) this.#line(this.#tail.replace(/\r$/, ''), into);
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
