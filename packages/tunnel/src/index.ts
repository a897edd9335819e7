export type { DnsResource, GatewayDnsNatCounters, ResolveRequest, Upstream } from "@fz/dns-nat";
export type { DnsQuery } from "./client-dns.ts";
export {
  type CidrResource,
  type ClientGateway,
  ClientState,
  type ClientStateConfig,
  type ClientStats,
  MAX_STAGED_PACKETS_PER_GATEWAY,
} from "./client-state.ts";
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
export type { CoreOptions } from "./core-options.ts";
export {
  DNS_PROXY_V4_RANGE,
  DNS_PROXY_V6_RANGE,
  DNS_ROUTES,
  DNS_SENTINEL_V4_RANGE,
  DNS_SENTINEL_V6_RANGE,
} from "./dns-ranges.ts";
export {
  DNS_TCP_IDLE_MS,
  DNS_TCP_MAX_CONNECTIONS,
  DNS_TCP_MAX_RETRANSMITS,
  DNS_TCP_MSS,
  DNS_TCP_RETRANSMIT_MS,
  type DnsTcpQueryHandler,
  DnsTcpResponder,
  type DnsTcpResponderOptions,
  type DnsTcpStream,
} from "./dns-tcp-responder.ts";
export type { TunnelEvent } from "./events.ts";
export type { GatewayDnsResource } from "./gateway-dns-resource.ts";
export {
  type ClientAuthorization,
  type GatewayResource,
  GatewayState,
  type GatewayStateConfig,
  type GatewayStats,
} from "./gateway-state.ts";
export {
  formatIpNetwork,
  type IpNetwork,
  networkContains,
  networksOverlap,
  parseIpNetwork,
  sameAddress,
} from "./ip-network.ts";
export {
  type DropCounts,
  type DropReason,
  NONE,
  type Transmit,
  type TunnelOutput,
} from "./output.ts";
export type { PeerStatus } from "./peer-status.ts";
export { RoutingTable } from "./routing-table.ts";
