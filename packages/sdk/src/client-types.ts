// The client's type, derived from the server's router: every procedure under
// its own path, queries and mutations as async functions, subscriptions as
// async iterators of RunEvent.
import type { AppRouter, RunEvent, RunOutput } from '@agentrpc/server';
import type { AnyProcedure, inferProcedureInput, inferProcedureOutput } from '@trpc/server';

export interface SubscriptionOptions {
  signal?: AbortSignal;
  /** Resume after this event id (`runId:seq`, as carried by events). */
  lastEventId?: string;
}

type Call<P extends AnyProcedure> =
  undefined extends inferProcedureInput<P>
    ? (input?: inferProcedureInput<P>) => Promise<inferProcedureOutput<P>>
    : (input: inferProcedureInput<P>) => Promise<inferProcedureOutput<P>>;

type Subscribe<P extends AnyProcedure> = (
  input: Omit<inferProcedureInput<P>, 'lastEventId'>,
  options?: SubscriptionOptions,
) => AsyncIterableIterator<RunEvent>;

type Decorate<R> = {
  [K in keyof R]: R[K] extends AnyProcedure
    ? R[K]['_def']['type'] extends 'subscription'
      ? Subscribe<R[K]>
      : Call<R[K]>
    : Decorate<R[K]>;
};

export type RouterClient = Decorate<AppRouter['_def']['record']>;

export type RunRequest = Omit<inferProcedureInput<AppRouter['runs']['stream']>, 'lastEventId'>;

export interface AgentRpcClient extends RouterClient {
  /**
   * Starts a run, follows it to the end and resolves to its output; a failed run
   * throws. Name the agent's output type to type `parsed`: `client.run<Weather>(…)`.
   */
  run<Parsed = unknown>(
    input: RunRequest,
    options?: { signal?: AbortSignal },
  ): Promise<RunOutput<Parsed>>;
  /**
   * Ends open subscriptions and calls waiting to be tried again after a refusal
   * (with CLIENT_CLOSED_REQUEST), and closes the WebSocket, if any.
   */
  close(): void;
}
