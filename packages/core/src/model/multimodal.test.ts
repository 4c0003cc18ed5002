import { describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.ts';
import { AgentRpcError } from '../errors.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { OpenAIChat } from './openai-chat.ts';
import { providers } from './providers.ts';

const fake = useFakeOpenAI();

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const wav = new Uint8Array([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVEfmt ')]);
const pdf = new Uint8Array([...Buffer.from('%PDF-1.7 body')]);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function agent(
  model = new OpenAIChat({ id: 'gpt-4o', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 }),
) {
  return new Agent({ id: 'vision', model });
}

async function sentParts(run: Promise<unknown>) {
  await run;
  return fake.completionRequests()[0]?.body.messages.at(-1).content;
}

describe('multimodal input encoding', () => {
  it('images by URL, base64 and bytes become image_url parts', async () => {
    fake.enqueue({ text: 'three images' });
    const parts = await sentParts(
      agent().run('describe', {
        images: [
          'https://example.com/cat.jpg',
          { base64: b64(png), detail: 'low' },
          { bytes: png },
        ],
      }),
    );
    expect(parts).toEqual([
      { type: 'text', text: 'describe' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${b64(png)}`, detail: 'low' } },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${b64(png)}` } },
    ]);
  });

  it('audio becomes input_audio with its format', async () => {
    fake.enqueue({ text: 'heard' });
    const parts = await sentParts(
      agent().run('transcribe', {
        audio: [{ bytes: wav }, { base64: 'SUQzBAAAAA==', mimeType: 'audio/mpeg' }],
      }),
    );
    expect(parts.slice(1)).toEqual([
      { type: 'input_audio', input_audio: { data: b64(wav), format: 'wav' } },
      { type: 'input_audio', input_audio: { data: 'SUQzBAAAAA==', format: 'mp3' } },
    ]);
  });

  it('files become file parts with data or an uploaded id', async () => {
    fake.enqueue({ text: 'read' });
    const parts = await sentParts(
      agent().run('summarise', {
        files: [{ bytes: pdf, filename: 'report.pdf' }, { fileId: 'file-abc' }],
      }),
    );
    expect(parts.slice(1)).toEqual([
      {
        type: 'file',
        file: { file_data: `data:application/pdf;base64,${b64(pdf)}`, filename: 'report.pdf' },
      },
      { type: 'file', file: { file_id: 'file-abc' } },
    ]);
  });

  it('video goes as video_url to a provider that takes it (Zhipu)', async () => {
    fake.enqueue({ text: 'a video' });
    const zhipu = providers.zhipu({
      id: 'glm-4v-plus',
      apiKey: 'k',
      baseURL: fake.baseURL,
      maxRetries: 0,
    });
    const parts = await sentParts(
      agent(zhipu).run('what happens?', { videos: ['https://example.com/clip.mp4'] }),
    );
    expect(parts[1]).toEqual({
      type: 'video_url',
      video_url: { url: 'https://example.com/clip.mp4' },
    });
  });

  it('video to a provider without it is BAD_INPUT naming the provider, before any request', async () => {
    const error = await agent()
      .run('what happens?', { videos: ['https://example.com/clip.mp4'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentRpcError);
    expect(error).toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('"openai"'),
    });
    expect(fake.completionRequests()).toHaveLength(0);
  });

  it('stores media as base64 so the run can be replayed as history', async () => {
    fake.enqueue({ text: 'first' }, { text: 'second' });
    const a = agent();
    const first = await a.run('look', { images: [{ bytes: png }] });
    expect(first.messages[0]?.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', image: { base64: b64(png), mimeType: 'image/png' } },
    ]);
    await a.run('and again?', { sessionId: first.sessionId });
    const replayed = fake.completionRequests()[1]?.body.messages[0].content;
    expect(replayed[1]).toEqual({
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${b64(png)}` },
    });
  });

  it('rejects an audio URL with a message saying what to pass instead', async () => {
    const error = await agent()
      .run('hear', { audio: [{ url: 'https://example.com/a.wav' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('base64 or bytes'),
    });
  });
});
