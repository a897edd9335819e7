import type { Endpoint, Peer } from "@fz/wireguard";

/**
 * One peer as `wg show` and `firezone status` describe it. Plain data, so that it crosses from
 * the data-plane Worker by structured clone; times are ages, since the Worker's clock is its own.
 */
export interface PeerStatus {
  /** The gateway's or the client's id in the config. */
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly presharedKey: Uint8Array | undefined;
  /** Where datagrams for this peer go; unknown for a client that has not sent any yet. */
  readonly endpoint: Endpoint | undefined;
  /** Milliseconds since the last completed handshake; undefined when there was none. */
  readonly handshakeAgeMs: number | undefined;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly persistentKeepaliveSeconds: number;
  /** The ranges this peer's packets may come from (and, on the client, go to), as CIDR text. */
  readonly allowedIps: readonly string[];
}

export interface PeerStatusInput {
  readonly id: string;
  readonly peer: Peer;
  readonly presharedKey: Uint8Array | undefined;
  readonly endpoint: Endpoint | undefined;
  readonly allowedIps: readonly string[];
}

export function peerStatus(input: PeerStatusInput, now: number): PeerStatus {
  const { peer } = input;
  const stats = peer.stats();
  return {
    id: input.id,
    publicKey: peer.publicKey.slice(),
    presharedKey: input.presharedKey?.slice(),
    endpoint: input.endpoint === undefined ? undefined : { ...input.endpoint },
    handshakeAgeMs: stats.lastHandshakeAt === undefined ? undefined : now - stats.lastHandshakeAt,
    rxBytes: stats.rxBytes,
    txBytes: stats.txBytes,
    persistentKeepaliveSeconds: peer.persistentKeepaliveSeconds,
    allowedIps: input.allowedIps,
  };
}
