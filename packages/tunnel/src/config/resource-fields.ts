import { DNS_PROXY_V4_RANGE, DNS_PROXY_V6_RANGE, DNS_ROUTES } from "../dns-ranges.ts";
import { formatIpNetwork, type IpNetwork, networksOverlap } from "../ip-network.ts";
import type { FieldReader } from "./fields.ts";
import { TUNNEL_V4_RANGE, TUNNEL_V6_RANGE } from "./ranges.ts";

/** What every `[[resources]]` entry starts with, checked alike on both sides. */
export interface ResourceHeader {
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly field: (key: string) => string;
}

/**
 * Reads a resource's `id` (unique among `seenIds`, which it extends) and `type` ("cidr" or
 * "dns"), recording a problem that names the field and the fix for each mistake.
 */
export function readResourceHeader(
  read: FieldReader,
  table: Record<string, unknown>,
  index: number,
  who: "client" | "gateway",
  seenIds: string[],
): ResourceHeader {
  const field = (key: string) => `resources[${index}].${key}`;
  const id = read.string(table, "id", field("id"), "office-lan");
  const type = read.string(table, "type", field("type"), "cidr");
  if (type !== undefined && type !== "cidr" && type !== "dns") {
    read.problem(
      field("type"),
      `'${type}' is not a resource type this ${who} knows`,
      'use type = "cidr" or type = "dns"',
    );
  }
  if (id !== undefined && seenIds.includes(id)) {
    read.problem(field("id"), `'${id}' is used twice`, "give each resource its own id");
  }
  if (id !== undefined) seenIds.push(id);
  return { id, type, field };
}

/** Ranges a CIDR resource may not overlap, with why. */
interface Reserved {
  readonly ranges: readonly IpNetwork[];
  readonly what: string;
}

const TUNNEL: Reserved = {
  ranges: [TUNNEL_V4_RANGE, TUNNEL_V6_RANGE],
  what: "the tunnel address ranges",
};
const PROXY: Reserved = {
  ranges: [DNS_PROXY_V4_RANGE, DNS_PROXY_V6_RANGE],
  what: "the DNS resources' proxy address ranges",
};
/** The client routes the sentinels and proxy IPs to itself: no CIDR resource can have them. */
const CLIENT_DNS: Reserved = {
  ranges: DNS_ROUTES,
  what: "the client's DNS sentinel and proxy ranges",
};

/**
 * Records a problem when a CIDR resource overlaps addresses the tunnel keeps for itself: the
 * tunnel ranges, and the DNS proxy ranges (on the client also the sentinels).
 */
export function refuseReservedOverlap(
  read: FieldReader,
  network: IpNetwork,
  field: string,
  who: "client" | "gateway",
): void {
  for (const reserved of who === "client" ? [TUNNEL, CLIENT_DNS] : [TUNNEL, PROXY]) {
    if (reserved.ranges.some((range) => networksOverlap(network, range))) {
      read.problem(
        field,
        `overlaps ${reserved.what}`,
        `pick a range outside ${reserved.ranges.map(formatIpNetwork).join(" and ")}`,
      );
      return;
    }
  }
}
