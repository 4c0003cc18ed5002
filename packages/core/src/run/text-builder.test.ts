import { describe, expect, it } from 'vitest';
import { TextBuilder } from './text-builder.ts';

describe('TextBuilder', () => {
  it('gives back the pieces in order, across stretches and reads between them', () => {
    const text = new TextBuilder();
    const pieces = Array.from({ length: 300 }, (_, i) => `${i},`);
    let expected = '';
    for (const [i, piece] of pieces.entries()) {
      text.append(piece);
      expected += piece;
      if (i % 97 === 0) expect(text.toString()).toBe(expected);
    }
    text.append('');
    expect(text.toString()).toBe(expected);
    expect(new TextBuilder().toString()).toBe('');
  });
});
