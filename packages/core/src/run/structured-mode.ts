// How structured output is asked for, and what happens when a provider refuses
// it. `json_schema` first; a provider that answers 4xx/5xx naming
// `response_format` or `json_schema` gets `json_object` with the schema in the
// prompt, then plain text with the schema in the prompt. The answer is
// validated with zod in every mode. The mode that worked is remembered per
// model instance, so later runs start with it.
import { z } from 'zod';
import type { AgentRpcError } from '../errors.ts';
import type { Message } from '../message/types.ts';
import type { Model, ModelRequest, ResponseFormat } from '../model/types.ts';

export type StructuredMode = 'json_schema' | 'json_object' | 'text';

const remembered = new WeakMap<Model, StructuredMode>();

/** The mode a run on `model` starts in: what the provider is known to take. */
export function structuredModeOf(model: Model): StructuredMode {
  return remembered.get(model) ?? (model.quirks.jsonSchema ? 'json_schema' : jsonOrText(model));
}

/** The mode below json_schema: json_object, or text where the provider refuses json_object (LM Studio). */
function jsonOrText(model: Model): StructuredMode {
  return model.quirks.jsonObject === false ? 'text' : 'json_object';
}

/** The response_format for a mode (none for text). */
export function responseFormatFor(
  schema: z.ZodType,
  mode: StructuredMode,
): ResponseFormat | undefined {
  if (mode === 'text') return undefined;
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  // The schema rides along with json_object too: providers that can constrain
  // their output with it (llama.cpp) do, the others are never sent it.
  if (mode === 'json_object') return { type: 'json_object', schema: json };
  return { type: 'json_schema', name: 'output', schema: json };
}

/** The instruction that carries the schema when the provider does not take it as json_schema. */
export function schemaInstruction(schema: z.ZodType): string {
  const json = JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any' }));
  return `Answer with only a JSON object that matches this JSON schema:\n${json}`;
}

const namesTheFormat = /response_format|json_schema|json_object|response format/i;

/**
 * The request to retry with when the provider refused this one's
 * response_format, and the mode it uses; undefined when the failure is about
 * something else (or there is no mode left).
 */
export function downgrade(
  model: Model,
  attempt: { request: ModelRequest; failure: AgentRpcError; schema: z.ZodType | undefined },
): { request: ModelRequest; mode: StructuredMode } | undefined {
  const { request, failure, schema } = attempt;
  const format = request.responseFormat;
  if (!schema || !format || failure.code !== 'PROVIDER_ERROR') return undefined;
  if (failure.status === undefined || failure.status < 400) return undefined;
  if (!namesTheFormat.test(failure.message)) return undefined;
  const mode: StructuredMode = format.type === 'json_schema' ? jsonOrText(model) : 'text';
  remembered.set(model, mode);
  const instruction: Message = { role: 'system', content: schemaInstruction(schema) };
  const carriesSchema = format.type !== 'json_schema'; // json_object requests had it already
  const responseFormat = responseFormatFor(schema, mode);
  return {
    mode,
    request: {
      ...request,
      messages: carriesSchema ? request.messages : [instruction, ...request.messages],
      ...(responseFormat ? { responseFormat } : { responseFormat: undefined }),
    },
  };
}
