// @agentrpc/testing: a scripted fake OpenAI-compatible server for offline tests.

export {
  type RunningProcess,
  type ServedAgentRpc,
  type ServeOptions,
  type StartProcessOptions,
  serveAgentRpc,
  startProcess,
} from './child-process.ts';
export { completionBody, completionChunks } from './chunks.ts';
export {
  createFakeOpenAI,
  type FakeOpenAI,
  type FakeOpenAIOptions,
  type RecordedRequest,
} from './fake-openai-server.ts';
export { type FakeProfile, fakeProfiles } from './profiles.ts';
export type {
  FakeAudio,
  FakeCompletion,
  FakeError,
  FakeHang,
  FakeReply,
  FakeToolCall,
  FakeUsage,
} from './reply.ts';
export { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';
