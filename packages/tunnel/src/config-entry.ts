/**
 * The light part of @fz/tunnel, for the main thread of a tunnel process, which validates the
 * configuration and sets up the system but runs no core: loading it leaves the state machines,
 * WireGuard and the DNS NAT to the data-plane Worker (about 9 MB of RSS per thread that loads
 * them).
 */
export type { Upstream } from "@fz/dns-nat";
export { type ClientConfig, parseClientConfig } from "./config/client-config.ts";
export { type ConfigProblem, InvalidConfigError } from "./config/config-error.ts";
export {
  DEFAULT_LISTEN_PORT,
  type GatewayConfig,
  parseGatewayConfig,
} from "./config/gateway-config.ts";
export { formatHostPort } from "./config/host-port.ts";
export {
  TUNNEL_V4_RANGE,
  TUNNEL_V4_RANGE_TEXT,
  TUNNEL_V6_RANGE,
  TUNNEL_V6_RANGE_TEXT,
} from "./config/ranges.ts";
export {
  AEAD_SETTINGS,
  type AeadSetting,
  DEFAULT_SOCKET_DIR,
  DEFAULT_TUN_NAME,
  type ShellSettings,
} from "./config/shell-settings.ts";
export {
  DNS_PROXY_V4_RANGE,
  DNS_PROXY_V6_RANGE,
  DNS_ROUTES,
  DNS_SENTINEL_V4_RANGE,
  DNS_SENTINEL_V6_RANGE,
} from "./dns-ranges.ts";
export {
  formatIpNetwork,
  type IpNetwork,
  networkContains,
  networksOverlap,
  parseIpNetwork,
  sameAddress,
} from "./ip-network.ts";
