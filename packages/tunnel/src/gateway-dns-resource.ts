import type { NamePattern } from "@fz/dns-nat";

/** A DNS resource behind the gateway: the names matching `pattern`, resolved by the gateway. */
export interface GatewayDnsResource {
  readonly id: string;
  readonly pattern: NamePattern;
}
