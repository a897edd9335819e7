/**
 * The light part of @fz/dns-nat, for a thread that validates configuration but runs no NAT:
 * name patterns, the proxy and sentinel ranges, and the upstream limit.
 */
export { isPatternError, type NamePattern, type PatternError, parsePattern } from "./pattern.ts";
export { PROXY_V4_BASE, PROXY_V4_PREFIX, PROXY_V6_BASE, PROXY_V6_PREFIX } from "./proxy-ips.ts";
export {
  MAX_UPSTREAMS,
  SENTINEL_V4_BASE,
  SENTINEL_V4_PREFIX,
  SENTINEL_V6_BASE,
  SENTINEL_V6_PREFIX,
} from "./sentinels.ts";
export type { Upstream } from "./stub-resolver.ts";
