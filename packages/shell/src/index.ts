export {
  ConfigFileError,
  EXIT_CONFIG,
  isConfigError,
  loadConfigFile,
  readConfigFile,
} from "./config-file.ts";
export { DataPlane, DataPlaneError, type DataPlaneOptions } from "./data-plane.ts";
export type { DataPlaneStats } from "./data-plane-protocol.ts";
export { EndpointRecords } from "./endpoint-records.ts";
export { type AppOptions, type RunningApp, runApp } from "./run-app.ts";
export { untilSignal } from "./signals.ts";
export type {
  BuiltCore,
  CoreCrypto,
  CoreSpec,
  CreateTunnelCore,
  NameResolver,
  ResolvedAddresses,
  TunnelCore,
} from "./tunnel-core.ts";
export {
  type RunningTunnel,
  startTunnelProcess,
  type TunnelProcessOptions,
} from "./tunnel-process.ts";
export { UapiServer, type UapiServerOptions } from "./uapi-server.ts";
