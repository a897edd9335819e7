/**
 * What a device shares with its peers: our static key, the primitives, the index table and
 * the settings. Peers hold it; only the device makes one.
 */
import type { AeadBackend } from "./aead/aead.ts";
import type { RandomSource } from "./crypto/random.ts";
import type { DiffieHellman } from "./crypto/x25519.ts";
import type { IndexTable } from "./index-table.ts";
import type { SymmetricState } from "./noise/ikpsk2.ts";
import type { Peer } from "./peer.ts";
import type { TunnResult } from "./result.ts";

/** The device's side of a peer. */
export interface DeviceContext {
  readonly aead: AeadBackend;
  readonly dh: DiffieHellman;
  readonly random: RandomSource;
  readonly staticPrivate: Uint8Array;
  readonly staticPublic: Uint8Array;
  /** The Noise state after the prologue, WireGuard's IDENTIFIER. */
  readonly initial: SymmetricState;
  readonly indices: IndexTable<Peer>;
  /** Unix time in milliseconds at `now = 0`, for TAI64N timestamps. */
  readonly timeOriginMs: number;
  readonly mtu: number;
  readonly maxStagedPackets: number;
  readonly rekeyAfterMessages: number;
  readonly rejectAfterMessages: number;
  /** A uniformly random integer in [0, bound). */
  randomBelow(bound: number): number;
  /** Tells the device that `peer` has datagrams for `pollTransmit`. */
  notePending(peer: Peer): void;
  /** Tells the device that some peer's timer was set to `at`. */
  readonly noteDeadline: (at: number) => void;
  /** The device's receive path, restricted to messages for `peer`. */
  decapsulateFor(peer: Peer, datagram: Uint8Array, out: Uint8Array, now: number): TunnResult;
}
