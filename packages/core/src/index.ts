// @agentrpc/core: the public API. Everything not exported here is internal.
export { Agent } from './agent/agent.ts';
export { collectOutput } from './agent/collect-output.ts';
export type {
  AgentOptions,
  ContinueInput,
  ContinueOptions,
  InstructionContext,
  RunInput,
  RunOptions,
} from './agent/options.ts';
export {
  AgentRpcError,
  type ErrorCode,
  errorCodes,
  isAgentRpcError,
  toAgentRpcError,
} from './errors.ts';
export { type MemoryOptions, relevantMemories } from './memory/user-memories.ts';
export { sniffMimeType } from './message/media.ts';
export type {
  AudioInput,
  AudioOutput,
  ContentPart,
  FileInput,
  ImageInput,
  MediaSource,
  Message,
  MessageMetrics,
  MessageRole,
  ToolCall,
  VideoInput,
} from './message/types.ts';
export { toChatMessages } from './model/chat-messages.ts';
export { DemoModel, type DemoModelOptions } from './model/demo-model.ts';
export { OpenAIChat, type OpenAIChatOptions, type SamplingOptions } from './model/openai-chat.ts';
export { costOf, definePrices, priceOf } from './model/pricing.ts';
export {
  type AzureOptions,
  type CompatibleOptions,
  type PresetOptions,
  providers,
} from './model/providers.ts';
export type {
  ChatCompletionChunk,
  Model,
  ModelPrice,
  ModelRequest,
  ProviderQuirks,
  ResponseFormat,
  ToolChoice,
  ToolSpec,
} from './model/types.ts';
export type { RunEventStream } from './run/event-channel.ts';
export {
  isTerminalEvent,
  type RunEvent,
  type RunEventOf,
  type RunEventType,
  type TerminalEventType,
  terminalEventTypes,
} from './run/events.ts';
export type { ToolDecision } from './run/tool-step.ts';
export {
  emptyMetrics,
  type RunError,
  type RunMetrics,
  type RunOutput,
  type RunRecord,
  type RunStatus,
  type ToolCallRecord,
  terminalStatuses,
} from './run/types.ts';
export { deepMerge } from './session/deep-merge.ts';
export type { SummaryOptions } from './session/summarize.ts';
export { addUsage, type Memory, type Session, type SessionUsage } from './session/types.ts';
export { MemoryStore } from './store/memory-store.ts';
export type {
  CachedResponse,
  CacheKey,
  EventBatch,
  EventQuery,
  GetRunOptions,
  Lease,
  MemoryPatch,
  MemoryQuery,
  Page,
  RunKey,
  RunPatch,
  RunQuery,
  SessionKey,
  SessionPatch,
  SessionQuery,
  Store,
} from './store/types.ts';
export {
  type AnyTool,
  defineTool,
  type Tool,
  type ToolContext,
  toolSpecOf,
} from './tool/define-tool.ts';
