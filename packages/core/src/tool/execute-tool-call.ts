// Runs one tool call: parses and validates the model's arguments, calls the
// tool, and turns any failure into an error result the model can read.
import type { z } from 'zod';
import type { ToolCall } from '../message/types.ts';
import type { ToolCallRecord } from '../run/types.ts';
import type { AnyTool, ToolContext } from './define-tool.ts';

/** Tool results fed back to the model are cut at this many characters. */
const maxResultChars = 100_000;

export function parseArguments(
  raw: string,
): { ok: true; value: unknown } | { ok: false; raw: string } {
  try {
    return { ok: true, value: raw.trim() ? JSON.parse(raw) : {} };
  } catch {
    return { ok: false, raw };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function executeToolCall(
  call: ToolCall,
  tool: AnyTool | undefined,
  ctx: ToolContext,
): Promise<ToolCallRecord> {
  const started = performance.now();
  const parsed = parseArguments(call.arguments);
  const record: ToolCallRecord = {
    id: call.id,
    name: call.name,
    args: parsed.ok ? parsed.value : parsed.raw,
    status: 'failed',
  };
  const finish = (fields: Partial<ToolCallRecord>): ToolCallRecord =>
    Object.assign(record, fields, {
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });

  if (!tool) return finish({ error: `Unknown tool "${call.name}"` });
  if (!parsed.ok)
    return finish({ error: `Arguments are not valid JSON: ${parsed.raw.slice(0, 200)}` });
  const args = (tool.parameters as z.ZodType).safeParse(parsed.value);
  if (!args.success) {
    const issues = args.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return finish({ error: `Invalid arguments: ${issues.join('; ')}` });
  }
  try {
    ctx.signal.throwIfAborted();
    const result = await tool.execute(args.data, ctx);
    return finish({ status: 'completed', result });
  } catch (error) {
    return finish({ error: describeError(error) });
  }
}

/** The text sent back to the model for a finished call. */
export function toolResultText(record: ToolCallRecord): string {
  const text =
    record.status === 'completed'
      ? typeof record.result === 'string'
        ? record.result
        : JSON.stringify(record.result ?? null)
      : JSON.stringify({ error: record.error ?? 'failed' });
  return text.length > maxResultChars ? `${text.slice(0, maxResultChars)}…(truncated)` : text;
}
