// One model call collected into text, for the runtime's own housekeeping
// (session summaries, memory extraction); reasoning is dropped.
import { AgentRpcError } from '../errors.ts';
import { ThinkTagSplitter } from '../run/think-tag-splitter.ts';
import { toProviderError } from './provider-error.ts';
import type { Model, ModelRequest } from './types.ts';

export async function completeText(model: Model, request: ModelRequest): Promise<string> {
  const splitter = new ThinkTagSplitter();
  let finished = false;
  try {
    for await (const chunk of await model.streamChunks(request)) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) splitter.push(choice.delta.content);
      if (choice?.finish_reason) finished = true;
    }
  } catch (error) {
    throw toProviderError(error, model.quirks.name);
  }
  splitter.end();
  if (!finished)
    throw new AgentRpcError('PROVIDER_ERROR', `${model.quirks.name} ended the stream early`);
  return splitter.content.trim();
}
