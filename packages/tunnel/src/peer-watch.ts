import type { Peer } from "@fz/wireguard";
import type { TunnelEvent } from "./events.ts";

/**
 * Turns a peer's session state into events: a completed handshake, a session that ended.
 * Checked after handshake traffic and timers only, never per data packet.
 */
export class PeerWatch {
  readonly #name: string;
  readonly #peer: Peer;
  #lastHandshakeAt: number | undefined;
  #hadSession = false;

  constructor(name: string, peer: Peer) {
    this.#name = name;
    this.#peer = peer;
  }

  check(now: number, emit: (event: TunnelEvent) => void): void {
    const stats = this.#peer.stats();
    if (stats.lastHandshakeAt !== undefined && stats.lastHandshakeAt !== this.#lastHandshakeAt) {
      this.#lastHandshakeAt = stats.lastHandshakeAt;
      emit({ type: "handshake-completed", peer: this.#name, at: stats.lastHandshakeAt });
    }
    if (this.#hadSession && !stats.hasSession)
      emit({ type: "session-lost", peer: this.#name, at: now });
    this.#hadSession = stats.hasSession;
  }
}
