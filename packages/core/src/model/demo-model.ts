// An offline model for trying agentrpc without an API key. It thinks out loud,
// calls the first tool whose name appears in the question, and then answers
// from the tool's result; otherwise it echoes. It never leaves the process.
import type { Message } from '../message/types.ts';
import type {
  ChatCompletionChunk,
  Model,
  ModelRequest,
  ProviderQuirks,
  ToolSpec,
} from './types.ts';

export interface DemoModelOptions {
  id?: string;
  /** Pause between streamed chunks (default 20 ms; 0 for tests). */
  chunkDelayMs?: number;
}

const quirks: ProviderQuirks = {
  name: 'demo',
  video: true,
  jsonSchema: true,
  streamUsage: true,
  maxCompletionTokens: false,
  nullContentWithToolCalls: true,
};

function textOf(message: Message | undefined): string {
  if (!message?.content) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join(' ');
}

/** A guess at the tool's first string argument: the last capitalised word, else the text. */
function guessArguments(tool: ToolSpec, question: string): string {
  const properties = (tool.parameters.properties ?? {}) as Record<string, { type?: string }>;
  const words = question.match(/\b[A-Z][\p{L}-]+/gu);
  const guess = words?.at(-1) ?? question.slice(0, 40);
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) {
    args[name] = schema.type === 'number' || schema.type === 'integer' ? 1 : guess;
  }
  return JSON.stringify(args);
}

function plan(request: ModelRequest): {
  reasoning: string;
  text: string;
  toolCall?: { name: string; arguments: string };
} {
  const messages = request.messages;
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const question = textOf(lastUser);
  const last = messages.at(-1);
  if (last?.role === 'tool') {
    const results = messages.filter((m) => m.role === 'tool').map((m) => textOf(m));
    return {
      reasoning: 'The tool answered; I will report what it returned.',
      text: `Here is what I found: ${results.join('; ')}`,
    };
  }
  const tool =
    request.toolChoice === 'none'
      ? undefined
      : request.tools?.find((t) =>
          t.name
            .split(/[_-]/)
            .some((word) => word.length > 2 && question.toLowerCase().includes(word.toLowerCase())),
        );
  if (tool) {
    return {
      reasoning: `The question mentions "${tool.name}", so I will call that tool.`,
      text: '',
      toolCall: { name: tool.name, arguments: guessArguments(tool, question) },
    };
  }
  if (request.responseFormat) {
    return { reasoning: 'A JSON answer is required.', text: JSON.stringify({ answer: question }) };
  }
  return {
    reasoning: 'No tool fits; I will echo the question.',
    text: `(demo model, no API key set) You said: "${question}". Set OPENAI_API_KEY to talk to a real model.`,
  };
}

export class DemoModel implements Model {
  readonly id: string;
  readonly quirks = quirks;
  readonly price = undefined;
  readonly timeoutMs = 60_000;
  readonly deterministic = true;
  readonly #delay: number;

  constructor(options: DemoModelOptions = {}) {
    this.id = options.id ?? 'demo';
    this.#delay = options.chunkDelayMs ?? 20;
  }

  async streamChunks(request: ModelRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    return this.#chunks(request);
  }

  async *#chunks(request: ModelRequest): AsyncGenerator<ChatCompletionChunk> {
    const { reasoning, text, toolCall } = plan(request);
    const created = Math.floor(Date.now() / 1000);
    const chunk = (
      delta: object,
      finish: ChatCompletionChunk.Choice['finish_reason'] = null,
    ): ChatCompletionChunk => ({
      id: 'demo',
      object: 'chat.completion.chunk',
      created,
      model: this.id,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const pieces = [
      ...(reasoning.match(/\S+\s*/g) ?? []).map((p) => chunk({ reasoning_content: p })),
      ...(text.match(/\S+\s*/g) ?? []).map((p) => chunk({ content: p })),
    ];
    if (toolCall) {
      pieces.push(
        chunk({
          tool_calls: [
            {
              index: 0,
              id: `call_demo_${created}`,
              type: 'function',
              function: { name: toolCall.name, arguments: toolCall.arguments },
            },
          ],
        }),
      );
    }
    for (const piece of pieces) {
      request.signal?.throwIfAborted();
      if (this.#delay) await new Promise((resolve) => setTimeout(resolve, this.#delay));
      yield piece;
    }
    yield chunk({}, toolCall ? 'tool_calls' : 'stop');
    const prompt = Math.ceil(JSON.stringify(request.messages).length / 4);
    yield {
      ...chunk({}),
      choices: [],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: pieces.length,
        total_tokens: prompt + pieces.length,
      },
    };
  }
}
