// Server-Sent Events decoding for the model reader and the SDK, on top of
// `eventsource-parser` (the HTML standard's rules: CRLF, LF or a lone CR, a
// leading byte order mark, `:` comments). This wrapper adds what a reader of a
// finite HTTP body needs: events collected into the caller's array, a last event
// kept when the body ends without its blank line, and a cap on a runaway line
// that throws instead of holding memory.
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

/** One event: its `event:` and `id:` fields when it had them, and its `data:` lines joined by newlines. */
export type SseEvent = EventSourceMessage;

export interface SseDecoderOptions {
  /** Longest unfinished line or event, in characters, before the stream counts as broken (default 8 MiB). */
  maxLineLength?: number;
}

/** A line went past `maxLineLength` without ending: the stream is not one a reader should hold. */
export class SseLineTooLongError extends SyntaxError {
  override readonly name = 'SseLineTooLongError';
}

/** Splits decoded text into SSE events; keeps an unfinished tail for the next piece. */
export class SseDecoder {
  readonly #parser: EventSourceParser;
  /** Where `push` is collecting events right now; none between pushes. */
  #into: SseEvent[] | undefined;
  #overflow: Error | undefined;

  constructor(options: SseDecoderOptions = {}) {
    const maxBufferSize = options.maxLineLength ?? 8 * 1024 * 1024;
    this.#parser = createParser({
      maxBufferSize,
      onEvent: (message) => {
        this.#into?.push(message);
      },
      onError: (error) => {
        // Unknown fields and bad `retry:` values are ignored, as the standard says.
        if (error.type !== 'max-buffer-size-exceeded') return;
        this.#overflow = new SseLineTooLongError(
          `a server-sent event line passed ${maxBufferSize} characters without ending`,
          { cause: error },
        );
      },
    });
  }

  push(text: string, into: SseEvent[]): void {
    this.#into = into;
    this.#parser.feed(text);
    // The caller owns the events from here on; holding its array would keep them alive.
    this.#into = undefined;
    const overflow = this.#overflow;
    if (overflow) {
      this.#overflow = undefined;
      this.#parser.reset();
      throw overflow;
    }
  }

  /** The body ended: a last event without its blank line still counts. */
  end(into: SseEvent[]): void {
    // Two line ends finish an open line and then the event; either is a no-op when
    // the body already ended cleanly.
    this.push('\n\n', into);
    this.#parser.reset();
  }
}
