import {
  PROXY_V4_BASE,
  PROXY_V4_PREFIX,
  PROXY_V6_BASE,
  PROXY_V6_PREFIX,
  SENTINEL_V4_BASE,
  SENTINEL_V4_PREFIX,
  SENTINEL_V6_BASE,
  SENTINEL_V6_PREFIX,
} from "@fz/dns-nat/names";
import type { IpNetwork } from "./ip-network.ts";

/** 100.100.111.0/24: the sentinel DNS servers the operating system is pointed at. */
export const DNS_SENTINEL_V4_RANGE: IpNetwork = Object.freeze({
  family: 4,
  address: SENTINEL_V4_BASE,
  prefix: SENTINEL_V4_PREFIX,
});
/** fd00:2021:1111:8000:100:100:111:0/120: the IPv6 sentinel DNS servers. */
export const DNS_SENTINEL_V6_RANGE: IpNetwork = Object.freeze({
  family: 6,
  address: SENTINEL_V6_BASE.slice(),
  prefix: SENTINEL_V6_PREFIX,
});
/** 100.96.0.0/11: proxy IPs that DNS-resource names are answered with. */
export const DNS_PROXY_V4_RANGE: IpNetwork = Object.freeze({
  family: 4,
  address: PROXY_V4_BASE,
  prefix: PROXY_V4_PREFIX,
});
/** fd00:2021:1111:8000::/107: IPv6 proxy IPs of DNS-resource names. */
export const DNS_PROXY_V6_RANGE: IpNetwork = Object.freeze({
  family: 6,
  address: PROXY_V6_BASE.slice(),
  prefix: PROXY_V6_PREFIX,
});

/** Every range the client's shell routes into the TUN device for DNS and DNS resources. */
export const DNS_ROUTES: readonly IpNetwork[] = Object.freeze([
  DNS_SENTINEL_V4_RANGE,
  DNS_SENTINEL_V6_RANGE,
  DNS_PROXY_V4_RANGE,
  DNS_PROXY_V6_RANGE,
]);
