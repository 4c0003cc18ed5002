// account.me: who the caller is, as the credential says; the web console asks
// it first, to know whether to show sign-in and the admin view.
import type { TRPCRouterRecord } from '@trpc/server';
import { isAdmin } from '../auth/principal.ts';
import { authedProcedure } from '../trpc/init.ts';

export const accountRouter = {
  me: authedProcedure.query(({ ctx }) => ({
    userId: ctx.principal.userId,
    roles: ctx.principal.roles,
    admin: isAdmin(ctx.principal),
  })),
} satisfies TRPCRouterRecord;
