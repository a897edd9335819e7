import {
  buildDestinationUnreachable,
  type IpAddress,
  type IpPacket,
  isP2pControl,
  isWireError,
  parseIpPacket,
} from "@fz/ip-packet";
import { Device, type Endpoint, type Peer } from "@fz/wireguard";
import type { CoreOptions } from "./core-options.ts";
import type { TunnelEvent } from "./events.ts";
import { type IpNetwork, networkContains, sameAddress } from "./ip-network.ts";
import {
  type DropCounts,
  type DropReason,
  emptyDropCounts,
  NONE,
  type Transmit,
  type TunnelOutput,
} from "./output.ts";
import { PeerWatch } from "./peer-watch.ts";

/** A resource behind the gateway. */
export interface GatewayResource {
  readonly id: string;
  readonly network: IpNetwork;
}

/** A client the gateway lets in, and what it may reach. */
export interface ClientAuthorization {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly tunnelIpv4: number;
  readonly tunnelIpv6: Uint8Array;
  /** Ids of the resources this client may use. */
  readonly resources: readonly string[];
  readonly presharedKey?: Uint8Array;
}

export interface GatewayStateConfig {
  readonly privateKey: Uint8Array;
  readonly resources: readonly GatewayResource[];
  readonly clients: readonly ClientAuthorization[];
}

export interface GatewayStats {
  readonly drops: Readonly<DropCounts>;
  readonly wireguardErrors: Readonly<Record<string, number>>;
  /** Packets refused by policy and answered with ICMP "administratively prohibited". */
  readonly prohibited: number;
  readonly clients: readonly {
    readonly id: string;
    readonly endpoint: Endpoint | undefined;
    readonly hasSession: boolean;
    readonly txBytes: number;
    readonly rxBytes: number;
  }[];
}

interface Client {
  readonly config: ClientAuthorization;
  readonly peer: Peer;
  readonly watch: PeerWatch;
  readonly allowed: readonly IpNetwork[];
  /** Where its last authenticated datagram came from; replies go there (roaming). */
  endpoint: Endpoint | undefined;
  /** `now` when its session state was last looked at for events. */
  watchedAt: number;
}

/**
 * The gateway's sans-IO core (connlib's `GatewayState`). A decrypted packet goes to the TUN
 * device only when its source is the sending client's tunnel address and its destination lies
 * in a resource that client may use; a spoofed source is dropped, a destination it may not use
 * is answered with ICMP destination unreachable, administratively prohibited (v4 code 13,
 * v6 code 1). Packets from the resources go back to the client whose tunnel address they are
 * for, from the endpoint it last used.
 */
export class GatewayState {
  readonly #device: Device;
  readonly #clients: Client[] = [];
  readonly #byPeer = new Map<Peer, Client>();
  readonly #byIpv4 = new Map<number, Client>();
  readonly #transmits: Transmit[] = [];
  readonly #events: TunnelEvent[] = [];
  readonly #drops = emptyDropCounts();
  readonly #wireguardErrors: Record<string, number> = {};
  readonly #emit = (event: TunnelEvent) => this.#events.push(event);
  #prohibited = 0;

  constructor(config: GatewayStateConfig, options: CoreOptions, now: number) {
    this.#device = new Device({
      privateKey: config.privateKey,
      timeOriginMs: options.timeOriginMs,
      ...(options.aead === undefined ? {} : { aead: options.aead }),
      ...(options.dh === undefined ? {} : { dh: options.dh }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    });
    const resources = new Map(config.resources.map((resource) => [resource.id, resource]));
    for (const authorization of config.clients) {
      const peer = this.#device.addPeer(
        {
          publicKey: authorization.publicKey,
          ...(authorization.presharedKey === undefined
            ? {}
            : { presharedKey: authorization.presharedKey }),
        },
        now,
      );
      const allowed = authorization.resources.flatMap((id) => {
        const resource = resources.get(id);
        return resource === undefined ? [] : [resource.network];
      });
      const client: Client = {
        config: authorization,
        peer,
        watch: new PeerWatch(authorization.id, peer),
        allowed,
        endpoint: undefined,
        watchedAt: Number.NEGATIVE_INFINITY,
      };
      this.#clients.push(client);
      this.#byPeer.set(peer, client);
      this.#byIpv4.set(authorization.tunnelIpv4, client);
    }
  }

  /** A datagram from a client; `out` receives the decrypted packet. */
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const result = this.#device.decapsulate(from, datagram, out, now);
    switch (result.type) {
      case "write-to-tunnel-v4":
      case "write-to-tunnel-v6": {
        const client = this.#byPeer.get(result.peer);
        if (client === undefined) return this.#drop("unknown-client");
        client.endpoint = from;
        // The responder's session is confirmed by the first data; look at most once a second.
        if (now - client.watchedAt >= 1000) {
          client.watchedAt = now;
          client.watch.check(now, this.#emit);
        }
        return this.#fromClient(client, result.packet, now);
      }
      case "write-to-network":
        this.#learnEndpoint(result.peer, from, now);
        return { kind: "transmit", to: from, datagram: result.packet };
      case "done":
        this.#learnEndpoint(result.peer, from, now);
        return NONE;
      case "error":
        this.#countWireguardError(result.error);
        return NONE;
    }
  }

  /**
   * A packet from the resource side of the TUN device, for a client. For sealing in place,
   * pass it at `out[16]`.
   */
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#drop("malformed-packet");
    const client = this.#clientFor(parsed.dst);
    if (client === undefined) return this.#drop("unknown-client");
    if (!allows(client, parsed.src)) return this.#drop("not-allowed");
    const to = client.endpoint;
    if (to === undefined) return this.#drop("unknown-client");
    const result = client.peer.encapsulate(packet, out, now);
    if (result.type === "write-to-network")
      return { kind: "transmit", to, datagram: result.packet };
    if (result.type === "error") this.#countWireguardError(result.error);
    return NONE;
  }

  handleTimeout(now: number): void {
    this.#device.handleTimeout(now);
    for (const client of this.#clients) client.watch.check(now, this.#emit);
  }

  pollTimeout(): number | undefined {
    return this.#device.pollTimeout();
  }

  /** The next datagram waiting to go out, written into `out` (or a buffer of its own). */
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined {
    const queued = this.#transmits.shift();
    if (queued !== undefined) return queued;
    for (let result = this.#device.pollTransmit(out, now); result !== undefined; ) {
      if (result.type === "write-to-network") {
        const client = result.peer === undefined ? undefined : this.#byPeer.get(result.peer);
        if (client?.endpoint !== undefined) {
          return { to: client.endpoint, datagram: result.packet };
        }
      } else if (result.type === "error") {
        this.#countWireguardError(result.error);
      }
      result = this.#device.pollTransmit(out, now);
    }
    return undefined;
  }

  pollEvent(): TunnelEvent | undefined {
    return this.#events.shift();
  }

  stats(): GatewayStats {
    return {
      drops: { ...this.#drops },
      wireguardErrors: { ...this.#wireguardErrors },
      prohibited: this.#prohibited,
      clients: this.#clients.map((client) => {
        const stats = client.peer.stats();
        return {
          id: client.config.id,
          endpoint: client.endpoint,
          hasSession: stats.hasSession,
          txBytes: stats.txBytes,
          rxBytes: stats.rxBytes,
        };
      }),
    };
  }

  #fromClient(client: Client, packet: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#drop("malformed-packet");
    if (isP2pControl(parsed)) return this.#drop("control");
    const own = parsed.version === 4 ? client.config.tunnelIpv4 : client.config.tunnelIpv6;
    if (!sameAddress(parsed.src, own)) return this.#drop("wrong-source");
    if (!allows(client, parsed.dst)) {
      this.#prohibit(client, parsed, now);
      return this.#drop("not-allowed");
    }
    return { kind: "tun", packet };
  }

  #prohibit(client: Client, offending: IpPacket, now: number): void {
    const error = buildDestinationUnreachable(offending, "prohibited");
    if (isWireError(error) || client.endpoint === undefined) return;
    this.#prohibited++;
    const out = new Uint8Array(error.length + 64);
    const result = client.peer.encapsulate(error, out, now);
    if (result.type === "write-to-network") {
      this.#transmits.push({ to: client.endpoint, datagram: result.packet });
    }
  }

  #clientFor(address: IpAddress): Client | undefined {
    if (typeof address === "number") return this.#byIpv4.get(address);
    return this.#clients.find((client) => sameAddress(client.config.tunnelIpv6, address));
  }

  #learnEndpoint(peer: Peer | undefined, from: Endpoint, now: number): void {
    const client = peer === undefined ? undefined : this.#byPeer.get(peer);
    if (client === undefined) return;
    client.endpoint = from;
    client.watch.check(now, this.#emit);
  }

  #drop(reason: DropReason): TunnelOutput {
    this.#drops[reason]++;
    return NONE;
  }

  #countWireguardError(error: string): void {
    this.#wireguardErrors[error] = (this.#wireguardErrors[error] ?? 0) + 1;
  }
}

function allows(client: Client, address: IpAddress): boolean {
  for (const network of client.allowed) if (networkContains(network, address)) return true;
  return false;
}
