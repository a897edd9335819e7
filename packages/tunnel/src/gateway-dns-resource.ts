import { isProxyV4, isProxyV6, type NamePattern } from "@fz/dns-nat";
import type { IpAddress } from "@fz/ip-packet";

/** A DNS resource behind the gateway: the names matching `pattern`, resolved by the gateway. */
export interface GatewayDnsResource {
  readonly id: string;
  readonly pattern: NamePattern;
}

/** Whether an address is a DNS-resource proxy IP (100.96.0.0/11 or fd00:2021:1111:8000::/107). */
export function isProxyIp(address: IpAddress): boolean {
  return typeof address === "number" ? isProxyV4(address) : isProxyV6(address);
}
