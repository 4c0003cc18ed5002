// Separates `<think>…</think>` reasoning from content in a streamed answer,
// even when a tag is split across chunks.
import { TextBuilder } from './text-builder.ts';

const open = '<think>';
const close = '</think>';

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagAt(text: string, tag: string): number {
  const max = Math.min(tag.length - 1, text.length);
  for (let n = max; n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

export class ThinkTagSplitter {
  #content = new TextBuilder();
  #reasoning = new TextBuilder();
  #inThink = false;
  #pending = '';
  #trimNextContent = false;

  /** Splits one delta; the parts are appended to `content` / `reasoning` and returned. */
  push(delta: string): { content: string; reasoning: string } {
    if (!this.#pending && !this.#inThink && !this.#trimNextContent && !delta.includes('<')) {
      this.#content.append(delta);
      return { content: delta, reasoning: '' };
    }
    let text = this.#pending + delta;
    this.#pending = '';
    let content = '';
    let reasoning = '';
    while (text) {
      const tag = this.#inThink ? close : open;
      const at = text.indexOf(tag);
      const end = at >= 0 ? at : text.length - partialTagAt(text, tag);
      const piece = text.slice(0, end);
      if (this.#inThink) reasoning += piece;
      else content += piece;
      if (at < 0) {
        this.#pending = text.slice(end);
        break;
      }
      text = text.slice(at + tag.length);
      if (this.#inThink) this.#trimNextContent = true;
      this.#inThink = !this.#inThink;
    }
    if (this.#trimNextContent && content) {
      content = content.replace(/^\s+/, '');
      if (content) this.#trimNextContent = false;
    }
    this.#content.append(content);
    this.#reasoning.append(reasoning);
    return { content, reasoning };
  }

  /** All the content so far. */
  get content(): string {
    return this.#content.toString();
  }

  /** All the reasoning so far. */
  get reasoning(): string {
    return this.#reasoning.toString();
  }

  /** Flushes a held-back partial tag at the end of the stream. */
  end(): { content: string; reasoning: string } {
    const rest = this.#pending;
    this.#pending = '';
    if (this.#inThink) {
      this.#reasoning.append(rest);
      return { content: '', reasoning: rest };
    }
    this.#content.append(rest);
    return { content: rest, reasoning: '' };
  }
}
