// defineTool: a function the model may call, with zod-validated, typed arguments.
import { z } from 'zod';
import type { ToolSpec } from '../model/types.ts';

/** What a tool's execute function receives besides its arguments. */
export interface ToolContext {
  runId: string;
  sessionId: string;
  userId: string;
  agentId: string;
  /** Aborted when the run is cancelled or times out. */
  signal: AbortSignal;
  /** The session's state: read it, and change it in place to persist changes. */
  state: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface Tool<Params extends z.ZodType = z.ZodType, Result = unknown> {
  name: string;
  description: string;
  parameters: Params;
  execute: (args: z.output<Params>, ctx: ToolContext) => Result | Promise<Result>;
  /** When true the run pauses before calling it until the call is approved (continueRun). */
  requiresConfirmation?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of tools of any parameter type
export type AnyTool = Tool<any, unknown>;

const toolName = /^[a-zA-Z0-9_-]{1,64}$/;

/** Declares a tool; its type flows from `parameters` into `execute`. */
export function defineTool<Params extends z.ZodType, Result>(
  tool: Tool<Params, Result>,
): Tool<Params, Result> {
  if (!toolName.test(tool.name)) {
    throw new TypeError(`Tool name "${tool.name}" must match ${toolName} (the providers' rule)`);
  }
  return tool;
}

const specs = new WeakMap<AnyTool, ToolSpec>();

/** The JSON-schema form sent to the model, computed once per tool. */
export function toolSpecOf(tool: AnyTool): ToolSpec {
  let spec = specs.get(tool);
  if (!spec) {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.parameters, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    spec = { name: tool.name, description: tool.description, parameters };
    specs.set(tool, spec);
  }
  return spec;
}
