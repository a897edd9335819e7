/**
 * A peer's handshake in progress (wireguard-go's `Handshake`): the Noise state, the ephemeral
 * key, the indices, and the anti-replay memory of the peer's initiations.
 */
import type { SymmetricState } from "./noise/ikpsk2.ts";
import { TAI64N_BYTES } from "./tai64n.ts";

/** One peer's handshake state. */
export class HandshakeState {
  symmetric: SymmetricState | undefined;
  /** Our ephemeral private key, held only while our initiation waits for its response. */
  localEphemeral: Uint8Array | undefined;
  /** Our index for this handshake while it runs; it becomes the keypair's. */
  localIndex: number | undefined;
  remoteIndex = 0;
  remoteEphemeral: Uint8Array | undefined;
  /** The newest initiation timestamp accepted from the peer. */
  readonly lastTimestamp = new Uint8Array(TAI64N_BYTES);
  /** When we last accepted an initiation from the peer. */
  lastInitiationAt = Number.NEGATIVE_INFINITY;
  /** When we last sent an initiation or a response. */
  lastSentAt = Number.NEGATIVE_INFINITY;

  /** Forgets the handshake in progress (not the anti-replay memory), zeroing its secrets. */
  clear(): void {
    this.symmetric?.chainKey.fill(0);
    this.symmetric?.hash.fill(0);
    this.localEphemeral?.fill(0);
    this.symmetric = undefined;
    this.localEphemeral = undefined;
    this.remoteEphemeral = undefined;
    this.localIndex = undefined;
  }
}
