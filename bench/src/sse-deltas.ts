// The load benchmark's least-work reading of a Chat Completions stream: split
// the text into lines, JSON.parse each `data:` line, pass on the content.
// The floor path and the bare proxy both read the upstream this way.

/** A handler for the stream's text as it arrives (pieces may split lines anywhere). */
export function sseDeltas(onDelta: (delta: string) => void): (text: string) => void {
  let tail = '';
  return (text) => {
    const lines = (tail + text).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data: {')) continue;
      const delta: unknown = JSON.parse(line.slice(6)).choices[0]?.delta?.content;
      if (typeof delta === 'string' && delta) onDelta(delta);
    }
  };
}

/** The request body the floor and the bare proxy send: the fake upstream answers any. */
export const streamRequestBody = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [],
});
