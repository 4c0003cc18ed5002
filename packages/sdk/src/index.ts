// @agentrpc/sdk: the typed client for agentrpc servers.
export type { AppRouter, Memory, Message, RunEvent, RunOutput, Session } from '@agentrpc/server';
export { AgentRpcClientError } from './client-error.ts';
export type {
  AgentRpcClient,
  RouterClient,
  RunRequest,
  SubscriptionOptions,
} from './client-types.ts';
export { type ClientOptions, createClient } from './create-client.ts';
