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
    // Runs for every peer on every timeout: read two fields, build nothing.
    const lastHandshakeAt = this.#peer.lastHandshakeAt;
    if (lastHandshakeAt !== undefined && lastHandshakeAt !== this.#lastHandshakeAt) {
      this.#lastHandshakeAt = lastHandshakeAt;
      emit({ type: "handshake-completed", peer: this.#name, at: lastHandshakeAt });
    }
    const hasSession = this.#peer.hasSession;
    if (this.#hadSession && !hasSession) emit({ type: "session-lost", peer: this.#name, at: now });
    this.#hadSession = hasSession;
  }
}
