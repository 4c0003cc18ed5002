// Writes one section of bench/RESULTS.md in place: from its heading to the
// next `## ` heading, leaving the sections around it as they are (a new
// section goes at the end).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const resultsFile = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/** `section` starts with a blank line and its `## ` heading, which begins with `headingStart`. */
export function writeResultsSection(headingStart: string, section: string): void {
  const text = readFileSync(resultsFile, 'utf8');
  const start = text.indexOf(`\n${headingStart}`);
  const end = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
  const before = (start < 0 ? text : text.slice(0, start)).trimEnd();
  writeFileSync(resultsFile, `${before}\n${section}${end < 0 ? '' : text.slice(end)}`);
}
