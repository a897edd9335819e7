export {
  ASSIGNED_IPS_RESEND_MS,
  type AssignedIpsRequest,
  ClientDnsResourceNat,
  type NatKey,
  type NatState,
  type PacketVerdict,
  PENDING_BUFFER_PACKETS,
} from "./client-nat.ts";
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
