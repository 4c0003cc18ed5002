// @agentrpc/sdk: the typed client for agentrpc servers.
export type {
  AppRouter,
  ErrorCode,
  Memory,
  Message,
  RunEvent,
  RunOutput,
  Session,
} from '@agentrpc/server';
export {
  AgentRpcClientError,
  type AgentRpcClientErrorCode,
  type ClientSideCode,
} from './client-error.ts';
export type {
  AgentRpcClient,
  RouterClient,
  RunRequest,
  SubscriptionOptions,
} from './client-types.ts';
export { type ClientOptions, createClient } from './create-client.ts';
export type { RetryRefusals } from './refusal-retry.ts';
export type { WebSocketConstructor } from './ws-link-subscriber.ts';
