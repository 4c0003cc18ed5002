// Lets user text be matched literally inside a MongoDB regular expression.

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
