import {
  buildDestinationUnreachable,
  type IpPacket,
  isP2pControl,
  isWireError,
  parseIpPacket,
} from "@fz/ip-packet";
import { Device, type Endpoint, type Peer, type TunnResult } from "@fz/wireguard";
import type { CoreOptions } from "./core-options.ts";
import type { TunnelEvent } from "./events.ts";
import { type IpNetwork, sameAddress } from "./ip-network.ts";
import {
  type DropCounts,
  type DropReason,
  emptyDropCounts,
  NONE,
  type Transmit,
  type TunnelOutput,
} from "./output.ts";
import { PeerWatch } from "./peer-watch.ts";
import { RoutingTable } from "./routing-table.ts";

/** A gateway the client has a WireGuard peer for. */
export interface ClientGateway {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly endpoint: Endpoint;
  readonly presharedKey?: Uint8Array;
  readonly persistentKeepaliveSeconds?: number;
}

/** An address range reached through one gateway. */
export interface CidrResource {
  readonly id: string;
  readonly network: IpNetwork;
  readonly gateway: string;
}

export interface ClientStateConfig {
  readonly privateKey: Uint8Array;
  /** Our tunnel addresses: a u32 from 100.64.0.0/11 and 16 bytes from fd00:2021:1111::/107. */
  readonly tunnelIpv4: number;
  readonly tunnelIpv6: Uint8Array;
  readonly gateways: readonly ClientGateway[];
  readonly resources: readonly CidrResource[];
}

export interface ClientStats {
  readonly drops: Readonly<DropCounts>;
  readonly wireguardErrors: Readonly<Record<string, number>>;
  readonly gateways: readonly {
    readonly id: string;
    readonly hasSession: boolean;
    readonly stagedPackets: number;
    readonly txBytes: number;
    readonly rxBytes: number;
  }[];
}

/** Packets a gateway's peer keeps while its handshake runs (Firezone: 128 per connecting peer). */
export const MAX_STAGED_PACKETS_PER_GATEWAY = 128;

interface GatewayPeer {
  readonly config: ClientGateway;
  readonly peer: Peer;
  readonly watch: PeerWatch;
}

/**
 * The client's sans-IO core (connlib's `ClientState`). Packets from the TUN device go to the
 * gateway of the resource that contains their destination, sealed in place; datagrams from the
 * gateways come back as packets for the TUN device once their source is one of that gateway's
 * resources and their destination is us. While a gateway's handshake runs its peer keeps up to
 * 128 packets. No clock, no sockets: the shell passes `now` and drains the `poll*` methods
 * after every call.
 */
export class ClientState {
  readonly #config: ClientStateConfig;
  readonly #device: Device;
  readonly #gateways = new Map<string, GatewayPeer>();
  readonly #byPeer = new Map<Peer, GatewayPeer>();
  readonly #routes = new RoutingTable<{ resource: CidrResource; gateway: GatewayPeer }>();
  readonly #packets: Uint8Array[] = [];
  readonly #events: TunnelEvent[] = [];
  readonly #drops = emptyDropCounts();
  readonly #wireguardErrors: Record<string, number> = {};
  readonly #emit = (event: TunnelEvent) => this.#events.push(event);

  constructor(config: ClientStateConfig, options: CoreOptions, now: number) {
    this.#config = config;
    this.#device = new Device({
      privateKey: config.privateKey,
      timeOriginMs: options.timeOriginMs,
      maxStagedPackets: MAX_STAGED_PACKETS_PER_GATEWAY,
      ...(options.aead === undefined ? {} : { aead: options.aead }),
      ...(options.dh === undefined ? {} : { dh: options.dh }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    });
    for (const gateway of config.gateways) {
      const peer = this.#device.addPeer(
        {
          publicKey: gateway.publicKey,
          ...(gateway.presharedKey === undefined ? {} : { presharedKey: gateway.presharedKey }),
          ...(gateway.persistentKeepaliveSeconds === undefined
            ? {}
            : { persistentKeepaliveSeconds: gateway.persistentKeepaliveSeconds }),
        },
        now,
      );
      const entry = { config: gateway, peer, watch: new PeerWatch(gateway.id, peer) };
      this.#gateways.set(gateway.id, entry);
      this.#byPeer.set(peer, entry);
    }
    for (const resource of config.resources) {
      const gateway = this.#gateways.get(resource.gateway);
      if (gateway !== undefined) this.#routes.add(resource.network, { resource, gateway });
    }
  }

  /**
   * A packet read from the TUN device. For sealing in place, pass the packet at `out[16]`;
   * any other `out` with room for the packet + 32 bytes + padding works too.
   */
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#drop("malformed-packet");
    const ours = parsed.version === 4 ? this.#config.tunnelIpv4 : this.#config.tunnelIpv6;
    if (!sameAddress(parsed.src, ours)) return this.#drop("wrong-source");
    const route = this.#routes.lookup(parsed.dst);
    if (route === undefined) {
      this.#answerUnreachable(parsed);
      return this.#drop("no-route");
    }
    const gateway = route.gateway;
    return this.#toNetwork(gateway.peer.encapsulate(packet, out, now), gateway.config.endpoint);
  }

  /** A datagram from the UDP socket; `out` receives the decrypted packet. */
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const result = this.#device.decapsulate(from, datagram, out, now);
    switch (result.type) {
      case "write-to-tunnel-v4":
      case "write-to-tunnel-v6":
        return this.#fromGateway(result.packet, result.peer);
      case "write-to-network":
        this.#watch(result.peer, now);
        return { kind: "transmit", to: from, datagram: result.packet };
      case "done":
        this.#watch(result.peer, now);
        return NONE;
      case "error":
        this.#countWireguardError(result.error);
        return NONE;
    }
  }

  handleTimeout(now: number): void {
    this.#device.handleTimeout(now);
    for (const gateway of this.#gateways.values()) gateway.watch.check(now, this.#emit);
  }

  /** The earliest `now` at which `handleTimeout` has work. */
  pollTimeout(): number | undefined {
    return this.#device.pollTimeout();
  }

  /** The next datagram waiting to go out (handshakes, keepalives, staged packets), written into `out`. */
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined {
    for (let result = this.#device.pollTransmit(out, now); result !== undefined; ) {
      if (result.type === "write-to-network") {
        const gateway = result.peer === undefined ? undefined : this.#byPeer.get(result.peer);
        if (gateway !== undefined) {
          gateway.watch.check(now, this.#emit);
          return { to: gateway.config.endpoint, datagram: result.packet };
        }
      } else if (result.type === "error") {
        this.#countWireguardError(result.error);
      }
      result = this.#device.pollTransmit(out, now);
    }
    return undefined;
  }

  /** The next packet the core made for the TUN device (ICMP errors), in a buffer of its own. */
  pollPacket(): Uint8Array | undefined {
    return this.#packets.shift();
  }

  pollEvent(): TunnelEvent | undefined {
    return this.#events.shift();
  }

  stats(): ClientStats {
    return {
      drops: { ...this.#drops },
      wireguardErrors: { ...this.#wireguardErrors },
      gateways: [...this.#gateways.values()].map(({ config, peer }) => {
        const stats = peer.stats();
        return {
          id: config.id,
          hasSession: stats.hasSession,
          stagedPackets: stats.stagedPackets,
          txBytes: stats.txBytes,
          rxBytes: stats.rxBytes,
        };
      }),
    };
  }

  #fromGateway(packet: Uint8Array, peer: Peer): TunnelOutput {
    const gateway = this.#byPeer.get(peer);
    const parsed = parseIpPacket(packet);
    if (gateway === undefined || isWireError(parsed)) return this.#drop("malformed-packet");
    if (isP2pControl(parsed)) return this.#drop("control");
    if (this.#routes.lookup(parsed.src)?.gateway !== gateway) return this.#drop("wrong-source");
    const ours = parsed.version === 4 ? this.#config.tunnelIpv4 : this.#config.tunnelIpv6;
    if (!sameAddress(parsed.dst, ours)) return this.#drop("wrong-destination");
    return { kind: "tun", packet };
  }

  #toNetwork(result: TunnResult, to: Endpoint): TunnelOutput {
    if (result.type === "write-to-network")
      return { kind: "transmit", to, datagram: result.packet };
    if (result.type === "error") {
      this.#countWireguardError(result.error);
      this.#drops.wireguard++;
    }
    return NONE;
  }

  #answerUnreachable(offending: IpPacket): void {
    const error = buildDestinationUnreachable(offending, "unreachable");
    if (!isWireError(error)) this.#packets.push(error);
  }

  #watch(peer: Peer | undefined, now: number): void {
    if (peer !== undefined) this.#byPeer.get(peer)?.watch.check(now, this.#emit);
  }

  #drop(reason: DropReason): TunnelOutput {
    this.#drops[reason]++;
    return NONE;
  }

  #countWireguardError(error: string): void {
    this.#wireguardErrors[error] = (this.#wireguardErrors[error] ?? 0) + 1;
  }
}
