import type { Endpoint, Peer } from "@fz/wireguard";
import type { DropCounter } from "./drop-counter.ts";
import type { Transmit } from "./output.ts";

/**
 * Packets a core makes itself (p2p control, ICMP errors, packets a DNS-resource NAT let go),
 * kept as plaintext until `pollTransmit` seals them into the shell's full-size `out`. Sealing
 * them at once into a buffer sized for them would lose a packet: a peer with packets staged for
 * its handshake seals the oldest of those first, and it may be far larger.
 */
export class SealQueue<T extends { readonly peer: Peer }> {
  readonly #pending: { readonly target: T; readonly packet: Uint8Array }[] = [];
  readonly #endpointOf: (target: T) => Endpoint | undefined;
  readonly #counts: DropCounter;

  constructor(endpointOf: (target: T) => Endpoint | undefined, counts: DropCounter) {
    this.#endpointOf = endpointOf;
    this.#counts = counts;
  }

  /** Queues `packet` for `target`'s peer; the queue keeps it, so it must not be reused. */
  push(target: T, packet: Uint8Array): void {
    this.#pending.push({ target, packet });
  }

  /**
   * Seals queued packets into `out` until one yields a datagram (the packet itself, a packet
   * staged before it, or a handshake initiation while the packet waits for the session).
   */
  poll(out: Uint8Array, now: number): Transmit | undefined {
    for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
      const to = this.#endpointOf(next.target);
      if (to === undefined) continue;
      const result = next.target.peer.encapsulate(next.packet, out, now);
      if (result.type === "write-to-network") return { to, datagram: result.packet };
      if (result.type === "error") this.#counts.sealFailed(result.error);
    }
    return undefined;
  }
}
