// A terminal demo: one agent with a weather tool, streaming every event.
// Uses OPENAI_API_KEY / OPENAI_BASE_URL / AGENTRPC_MODEL when set, else the offline demo model.
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import { DemoModel } from '../model/demo-model.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import type { Model } from '../model/types.ts';
import { defineTool } from '../tool/define-tool.ts';

const getWeather = defineTool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) => ({ city, tempC: 21, sky: 'clear' }),
});

function chooseModel(): Model {
  if (process.env.OPENAI_API_KEY)
    return new OpenAIChat({ id: process.env.AGENTRPC_MODEL ?? 'gpt-4o-mini' });
  console.log('No OPENAI_API_KEY set: using the offline demo model.\n');
  return new DemoModel();
}

const agent = new Agent({
  id: 'weather',
  model: chooseModel(),
  instructions: 'You are a concise weather assistant. Use get_weather for weather questions.',
  tools: [getWeather],
});

const question = process.argv.slice(2).join(' ') || 'What is the weather in Paris?';
console.log(`> ${question}\n`);
const colour = (code: number, text: string) =>
  process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text;
for await (const event of agent.stream(question, { userId: 'demo-user' })) {
  switch (event.type) {
    case 'run.reasoning':
      process.stdout.write(colour(2, event.delta));
      break;
    case 'run.content':
      process.stdout.write(event.delta);
      break;
    case 'run.completed': {
      const m = event.output.metrics;
      console.log(`\n\n[${event.seq}] run.completed: ${m.totalTokens} tokens, ${m.durationMs} ms`);
      break;
    }
    case 'run.error':
      console.log(`\n[${event.seq}] run.error ${event.code}: ${event.message}`);
      process.exitCode = 1;
      break;
    default:
      console.log(`\n[${event.seq}] ${event.type}${'name' in event ? ` ${event.name}` : ''}`);
  }
}
