import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';

const fake = useFakeOpenAI();
const exporter = new InMemorySpanExporter();

beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => trace.disable());

describe('OpenTelemetry spans', () => {
  it('cover the run, each model call and each tool call, nested, with usage and errors', async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'fails',
      parameters: z.object({}),
      execute: () => {
        throw new Error('not reachable');
      },
    });
    const model = new OpenAIChat({
      id: 'gpt-4o-mini',
      apiKey: 'k',
      baseURL: fake.baseURL,
      maxRetries: 0,
    });
    const agent = new Agent({ id: 'traced', model, tools: [lookup] });
    fake.enqueue(
      {
        toolCalls: [{ name: 'lookup', arguments: {} }],
        usage: { promptTokens: 10, completionTokens: 3 },
      },
      { text: 'sorry', usage: { promptTokens: 20, completionTokens: 2 } },
    );
    const out = await agent.run('find it', { userId: 'u1' });

    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const [run] = byName('agentrpc.run');
    expect(run?.attributes).toMatchObject({
      'agentrpc.run_id': out.runId,
      'agentrpc.agent_id': 'traced',
      'enduser.id': 'u1',
      'agentrpc.status': 'completed',
      'gen_ai.usage.input_tokens': 30,
    });
    const calls = byName('agentrpc.model_call');
    expect(calls.map((s) => s.attributes['gen_ai.usage.input_tokens'])).toEqual([10, 20]);
    const [tool] = byName('agentrpc.tool_call');
    expect(tool?.attributes).toMatchObject({
      'gen_ai.tool.name': 'lookup',
      'agentrpc.error_code': 'TOOL_ERROR',
    });
    const runId = run?.spanContext().spanId;
    for (const child of [...calls, tool]) {
      expect(child?.parentSpanContext?.spanId).toBe(runId);
      expect(child?.spanContext().traceId).toBe(run?.spanContext().traceId);
    }
  });
});
