// Calling a router's procedure by its path, as both hand-written transports
// do, through tRPC's public createCaller: middleware, input validation and
// error formatting all run as they do for any other call.
import { type AnyRouter, TRPCError } from '@trpc/server';

export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** tRPC's caller: nested proxies down to each procedure, which are functions. */
type Caller = { [name: string]: Caller } & ((input: unknown) => Promise<unknown>);

/** Every procedure path of the router (nested routers included) with its type. */
export function procedureTypes(router: AnyRouter): ReadonlyMap<string, ProcedureType> {
  const procedures = router._def.procedures as Record<string, { _def: { type: ProcedureType } }>;
  return new Map(Object.entries(procedures).map(([path, p]) => [path, p._def.type]));
}

/**
 * Calls the procedure at `path` with `ctx`; NOT_FOUND when the router has no
 * procedure of that type there.
 */
export function callProcedure<TContext>(
  router: AnyRouter,
  types: ReadonlyMap<string, ProcedureType>,
  call: { ctx: TContext; path: string; type: ProcedureType; input: unknown; signal: AbortSignal },
): Promise<unknown> {
  if (types.get(call.path) !== call.type) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `No "${call.type}"-procedure on path "${call.path}"`,
    });
  }
  const createCaller = router.createCaller as (
    ctx: TContext,
    opts: { signal: AbortSignal },
  ) => Caller;
  const procedure = call.path
    .split('.')
    .reduce((node, name) => node[name] as Caller, createCaller(call.ctx, { signal: call.signal }));
  return procedure(call.input);
}
