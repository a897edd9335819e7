/**
 * What `encapsulate`, `decapsulate` and `pollTransmit` hand back, in the spirit of boringtun's
 * `TunnResult`: bytes to send (a subarray of the caller's `out`), a decrypted packet for the
 * tunnel (also in `out`), nothing, or an error value. Bad input is never thrown.
 */
import type { Peer } from "./peer.ts";

/** Why a datagram was dropped or a packet could not be sent. */
export type WireGuardErrorKind =
  /** Unknown message type, or the wrong size for its type. */
  | "invalid-message"
  /** mac1 of a handshake message is wrong. */
  | "invalid-mac"
  /** No live handshake or keypair has the message's receiver index. */
  | "unknown-index"
  /** A handshake message does not open (bad DH, bad seal) or does not fit our state. */
  | "invalid-handshake"
  /** An initiation's static key belongs to no peer of the device. */
  | "unknown-peer"
  /** A peer's `decapsulate` got a message for another peer. */
  | "wrong-peer"
  /** An initiation's timestamp is not newer than the peer's last one. */
  | "timestamp-replay"
  /** An initiation came within 20 ms of the peer's previous one. */
  | "handshake-flood"
  /** Under load, the source sent handshake messages faster than 20 a second. */
  | "rate-limited"
  /** A cookie reply did not open. */
  | "invalid-cookie"
  /** The keypair is older than 180 s. */
  | "expired-keypair"
  /** A transport counter at or above the limit. */
  | "invalid-counter"
  /** A transport message did not authenticate. */
  | "decryption-failed"
  /** A transport counter was seen before or fell behind the replay window. */
  | "replay"
  /** The decrypted packet is not an IPv4 or IPv6 packet whose length fits. */
  | "invalid-packet"
  /** `out` cannot hold the result. */
  | "buffer-too-small"
  /** A packet too large for one transport message (65,503 bytes at most). */
  | "packet-too-large";

/**
 * The outcome of one call. `peer` is the peer concerned where there is one;
 * for `write-to-network` from `decapsulate`, send the bytes back to the datagram's source.
 */
export type TunnResult =
  | {
      readonly type: "write-to-network";
      readonly packet: Uint8Array;
      readonly peer: Peer | undefined;
    }
  | {
      readonly type: "write-to-tunnel-v4";
      readonly packet: Uint8Array;
      readonly peer: Peer;
    }
  | {
      readonly type: "write-to-tunnel-v6";
      readonly packet: Uint8Array;
      readonly peer: Peer;
    }
  | { readonly type: "done"; readonly peer: Peer | undefined }
  | { readonly type: "error"; readonly error: WireGuardErrorKind; readonly peer: Peer | undefined };
