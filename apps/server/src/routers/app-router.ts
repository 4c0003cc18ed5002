// The whole API, one slice per domain. Its type is what the SDK is typed by.
import { router } from '../trpc/init.ts';
import { accountRouter } from './account-router.ts';
import { adminRouter } from './admin-router.ts';
import { agentsRouter } from './agents-router.ts';
import { memoriesRouter } from './memories-router.ts';
import { runsRouter } from './runs-router.ts';
import { sessionsRouter } from './sessions-router.ts';

export const appRouter = router({
  agents: agentsRouter,
  runs: runsRouter,
  sessions: sessionsRouter,
  memories: memoriesRouter,
  account: accountRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
