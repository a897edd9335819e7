import type { TranslatedPacket } from "./nat-flow.ts";

/** Why an outbound packet to a proxy IP cannot go anywhere; the client gets ICMP unreachable. */
export type NatUnreachableReason =
  /** The client never set this proxy IP up (no AssignedIps resolved for it). */
  | "no-mapping"
  /** The name has no address of the proxy IP's family (NAT64/46 is not done). */
  | "no-address"
  /** Every NAT port towards that real IP and port is taken (or, without ports, the address pair). */
  | "ports-exhausted";

/** Why a packet was neither translated nor left alone: the caller drops it. */
export type NatDropReason =
  /** Not a valid IP packet, or a transport header too short to read its ports. */
  | "malformed"
  /** An ICMP message to a proxy IP that is neither an echo nor an error (timestamp, NDP, ...). */
  | "unsupported-icmp"
  /** An ICMP error from the client about no flow this table knows. */
  | "icmp-error-without-flow"
  /** A rewrite refused the packet (a first fragment too short to hold its transport header). */
  | "rewrite-failed";

/** What to do with a decrypted packet from a client. */
export type OutboundResult =
  /** Rewritten in place to the real IP: forward it to the resource. */
  | TranslatedPacket
  /**
   * Drop it; send `reply` (ICMP destination unreachable from the proxy IP, v4 code 0 / v6 code 3)
   * back to the client, unless RFC 1122 / 4443 forbid an error about this packet (undefined).
   */
  | {
      readonly kind: "unreachable";
      readonly reason: NatUnreachableReason;
      readonly reply: Uint8Array | undefined;
    }
  /** The destination is not a proxy IP: not this table's business, the packet is untouched. */
  | { readonly kind: "passthrough" }
  | { readonly kind: "dropped"; readonly reason: NatDropReason };

/** What to do with a packet from the resource side going to a client. */
export type InboundResult =
  /** Rewritten in place back to the proxy IP: send it into `client`'s tunnel. */
  | TranslatedPacket
  /** No flow of this table: untouched (CIDR-resource traffic, or a flow that expired). */
  | { readonly kind: "no-flow" }
  | { readonly kind: "dropped"; readonly reason: NatDropReason };

export const PASSTHROUGH: OutboundResult = Object.freeze({ kind: "passthrough" });
export const NO_FLOW: InboundResult = Object.freeze({ kind: "no-flow" });

const DROPPED: { readonly [R in NatDropReason]: { kind: "dropped"; reason: R } } = {
  malformed: Object.freeze({ kind: "dropped", reason: "malformed" }),
  "unsupported-icmp": Object.freeze({ kind: "dropped", reason: "unsupported-icmp" }),
  "icmp-error-without-flow": Object.freeze({ kind: "dropped", reason: "icmp-error-without-flow" }),
  "rewrite-failed": Object.freeze({ kind: "dropped", reason: "rewrite-failed" }),
};

/** The shared result of dropping a packet for a reason. */
export function dropped(reason: NatDropReason): {
  readonly kind: "dropped";
  readonly reason: NatDropReason;
} {
  return DROPPED[reason];
}
