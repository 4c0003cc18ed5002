// Which procedures are subscriptions and which are mutations (the rest are
// queries). The client needs this at run time; a test keeps it in step with the router.
export const subscriptions = new Set(['runs.stream', 'runs.events']);

export const mutations = new Set([
  'runs.start',
  'runs.cancel',
  'runs.continue',
  'sessions.rename',
  'sessions.updateState',
  'sessions.delete',
  'memories.create',
  'memories.update',
  'memories.delete',
]);
