import { describe, expect, it } from 'vitest';
import { ThinkTagSplitter } from './think-tag-splitter.ts';

function feed(pieces: string[]) {
  const splitter = new ThinkTagSplitter();
  for (const piece of pieces) splitter.push(piece);
  splitter.end();
  return { content: splitter.content, reasoning: splitter.reasoning };
}

describe('ThinkTagSplitter', () => {
  it('passes plain text through', () => {
    expect(feed(['a < b', ' and c'])).toEqual({ content: 'a < b and c', reasoning: '' });
  });

  it('splits tags that arrive whole', () => {
    expect(feed(['<think>why</think>Answer'])).toEqual({ content: 'Answer', reasoning: 'why' });
  });

  it('splits tags cut at every position', () => {
    const text = '<think>step one</think>\nfinal';
    for (let cut = 1; cut < text.length; cut++) {
      expect(feed([text.slice(0, cut), text.slice(cut)])).toEqual({
        content: 'final',
        reasoning: 'step one',
      });
    }
    expect(feed([...text])).toEqual({ content: 'final', reasoning: 'step one' });
  });

  it('keeps a dangling partial tag as content at the end', () => {
    expect(feed(['value <thi'])).toEqual({ content: 'value <thi', reasoning: '' });
  });

  it('treats an unclosed think block as reasoning', () => {
    expect(feed(['<think>still thinking'])).toEqual({ content: '', reasoning: 'still thinking' });
  });
});
