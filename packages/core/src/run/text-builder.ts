// Text built from many small streamed pieces. `text += piece` on every piece
// keeps one rope node per piece alive for as long as the text is (at 1,000
// streams of 200 deltas, some 140,000 nodes); this keeps a stretch of pieces in
// an array and joins it into one flat string every `stretch` pieces.

const stretch = 64;

export class TextBuilder {
  #joined = '';
  #pieces: string[] = [];

  append(piece: string): void {
    if (piece && this.#pieces.push(piece) >= stretch) this.#join();
  }

  #join(): void {
    this.#joined += this.#pieces.join('');
    this.#pieces = [];
  }

  toString(): string {
    if (this.#pieces.length) this.#join();
    return this.#joined;
  }
}
