// How deeply JSON nests, found before anything expensive is done with it: on
// the raw text, without parsing (for WebSocket frames and SSE query inputs),
// and on a parsed value (for free-form inputs such as session state). Deeply
// nested input costs the transformer and the stores far more than its size.

/** Whether the quote at `at` is escaped by an odd run of backslashes before it. */
function escaped(text: string, at: number): boolean {
  let slashes = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === 92; i--) slashes++;
  return slashes % 2 === 1;
}

/** Whether JSON text opens more than `max` arrays or objects inside one another. */
export function textNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) {
      // A string: jump to its closing quote; brackets inside it do not count.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end;
    } else if (code === 123 || code === 91) {
      if (++depth > max) return true;
    } else if (code === 125 || code === 93) {
      depth--;
    }
  }
  return false;
}

/** Whether a value holds arrays or objects more than `max` levels deep; stops looking at `max`. */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (valueNestsDeeperThan(item, max - 1)) return true;
  }
  return false;
}
