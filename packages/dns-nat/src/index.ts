export {
  ASSIGNED_IPS_RESEND_MS,
  type AssignedIpsRequest,
  ClientDnsResourceNat,
  type NatKey,
  type NatState,
  type PacketVerdict,
  PENDING_BUFFER_PACKETS,
} from "./client-nat.ts";
export { FRAGMENT_MEMORY_MS, MAX_REMEMBERED_DATAGRAMS } from "./fragment-memory.ts";
export {
  type DomainStatusReply,
  GatewayDnsNat,
  type GatewayDnsNatCounters,
} from "./gateway-dns-nat.ts";
export {
  MAX_PENDING_LOOKUPS,
  RESOLVE_TIMEOUT_MS,
  type ResolveRequest,
} from "./name-resolutions.ts";
export {
  ICMP_FLOW_IDLE_MS,
  TCP_CLOSED_LINGER_MS,
  TCP_FLOW_IDLE_MS,
  type TranslatedPacket,
  UDP_FLOW_IDLE_MS,
  UNCONFIRMED_FLOW_MS,
} from "./nat-flow.ts";
export type {
  InboundResult,
  NatDropReason,
  NatUnreachableReason,
  OutboundResult,
} from "./nat-results.ts";
export {
  isPatternError,
  mostSpecificMatch,
  type NamePattern,
  normalizeName,
  PATTERN_KINDS,
  type PatternError,
  type PatternKind,
  parsePattern,
} from "./pattern.ts";
export {
  isProxyIp,
  isProxyV4,
  isProxyV6,
  PROXY_IPS_PER_FAMILY,
  PROXY_V4_BASE,
  PROXY_V4_PREFIX,
  PROXY_V6_BASE,
  PROXY_V6_PREFIX,
  ProxyIpAllocator,
  type ProxyIps,
} from "./proxy-ips.ts";
export type { ProxyMapping } from "./proxy-mappings.ts";
export { parseReverseName, type ReverseAddress } from "./reverse-name.ts";
export {
  MAX_UPSTREAMS,
  SENTINEL_V4_BASE,
  SENTINEL_V4_PREFIX,
  SENTINEL_V6_BASE,
  SENTINEL_V6_PREFIX,
  sentinelAddresses,
  sentinelIndexV4,
  sentinelIndexV6,
  TooManyUpstreamsError,
} from "./sentinels.ts";
export {
  type DnsResource,
  DOH_CANARY_NAME,
  FORWARD_TIMEOUT_MS,
  LOCAL_ANSWER_TTL_SECONDS,
  type LocalAnswerReason,
  MAX_PENDING_FORWARDS,
  type QueryDropReason,
  type QueryResult,
  type QueuedResponse,
  type RandomSource,
  type ResourceQuery,
  type Sentinel,
  StubResolver,
  type StubResolverConfig,
  type StubResolverCounters,
  type Upstream,
  type UpstreamDropReason,
  type UpstreamResult,
} from "./stub-resolver.ts";
