export { ConfigFileError, EXIT_CONFIG, isConfigError, loadConfigFile } from "./config-file.ts";
export { type AppOptions, type RunningApp, runApp } from "./run-app.ts";
export { untilSignal } from "./signals.ts";
export {
  type DriverOptions,
  type DriverStats,
  type NameResolver,
  type ResolvedAddresses,
  type TunnelCore,
  TunnelDriver,
  type TunSink,
} from "./tunnel-driver.ts";
export {
  type CoreCrypto,
  type RunningTunnel,
  startTunnelProcess,
  type TunnelProcessOptions,
} from "./tunnel-process.ts";
export { type DatagramHandler, openBunUdp, type UdpTransport, unmapV4 } from "./udp-transport.ts";
