// @agentrpc/server: the router, the server and its configuration.
export type {
  AgentRpcError,
  ErrorCode,
  Memory,
  Message,
  RunEvent,
  RunOutput,
  RunStatus,
  Session,
  ToolCallRecord,
} from '@agentrpc/core';
export type { Principal } from './auth/principal.ts';
export { defaultConfig } from './config/default-config.ts';
export {
  type ApiKeyCredential,
  type AuthConfig,
  defaultLimits,
  defineConfig,
  type JwtConfig,
  type Limits,
  type ServerConfig,
} from './config/define-config.ts';
export { findConfigFile, loadConfigFile } from './config/load-config.ts';
export { createServices } from './create-services.ts';
export {
  type AgentRpcServer,
  type ListenOptions,
  startServer,
} from './http/create-server.ts';
export { type AppRouter, appRouter } from './routers/app-router.ts';
export type { AgentInfo } from './run/agent-registry.ts';
