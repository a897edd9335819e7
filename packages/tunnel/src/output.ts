import type { Endpoint } from "@fz/wireguard";

/** A datagram for the UDP socket. */
export interface Transmit {
  readonly to: Endpoint;
  /** The datagram, written into the `out` buffer passed to `pollTransmit`. */
  readonly datagram: Uint8Array;
}

/**
 * What one packet or datagram turned into, returned at once so the hot path needs no queue:
 * a datagram to send, a packet for the TUN device (both within the caller's `out` buffer), or
 * nothing more (dropped, buffered, or answered through the `poll*` methods).
 */
export type TunnelOutput =
  | { readonly kind: "transmit"; readonly to: Endpoint; readonly datagram: Uint8Array }
  | { readonly kind: "tun"; readonly packet: Uint8Array }
  | { readonly kind: "none" };

export const NONE: TunnelOutput = Object.freeze({ kind: "none" });

/** Why the core dropped a packet or a datagram; counted in `stats().drops`. */
export type DropReason =
  | "malformed-packet"
  | "no-route"
  | "wrong-source"
  | "wrong-destination"
  | "not-allowed"
  | "unknown-client"
  | "wireguard"
  | "control";

export type DropCounts = Record<DropReason, number>;

export function emptyDropCounts(): DropCounts {
  return {
    "malformed-packet": 0,
    "no-route": 0,
    "wrong-source": 0,
    "wrong-destination": 0,
    "not-allowed": 0,
    "unknown-client": 0,
    wireguard: 0,
    control: 0,
  };
}
