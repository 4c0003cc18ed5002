// How the profile readers (profile-diff.ts for CPU, alloc-top.ts for
// allocations) name a frame of a V8 profile: function, the file's last two
// path segments and the line, so the same function reads the same in both.

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export function frameKey({ functionName, url, lineNumber }: CallFrame): string {
  const where = url.split('/').slice(-2).join('/');
  return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
}
