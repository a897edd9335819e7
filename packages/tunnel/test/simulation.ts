import {
  buildIcmpEcho,
  Icmpv4Packet,
  Icmpv6Packet,
  isWireError,
  parseIpPacket,
  parseIpv4,
  parseIpv6,
} from "@fz/ip-packet";
import {
  type CidrResource,
  type ClientAuthorization,
  ClientState,
  type CoreOptions,
  type GatewayResource,
  GatewayState,
  parseIpNetwork,
  type TunnelOutput,
} from "@fz/tunnel";
import { type Endpoint, nobleX25519, type RandomSource } from "@fz/wireguard";

/** A deterministic random source, so every run of a simulation is the same. */
export function seededRandom(seed = 1): RandomSource {
  let state = seed >>> 0;
  return (into) => {
    for (let i = 0; i < into.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      into[i] = state >>> 24;
    }
  };
}

export function keyPair(random: RandomSource): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = nobleX25519.generatePrivateKey(random);
  return { privateKey, publicKey: nobleX25519.publicKey(privateKey) };
}

export function network(text: string) {
  const parsed = parseIpNetwork(text);
  if (parsed === undefined) throw new Error(`bad network ${text}`);
  return parsed;
}

export function v4(text: string): number {
  const parsed = parseIpv4(text);
  if (parsed === undefined) throw new Error(`bad address ${text}`);
  return parsed;
}

export function v6(text: string): Uint8Array {
  const parsed = parseIpv6(text);
  if (parsed === undefined) throw new Error(`bad address ${text}`);
  return parsed;
}

export const CLIENT_ENDPOINT: Endpoint = { address: "198.18.1.2", port: 40000 };
export const GATEWAY_ENDPOINT: Endpoint = { address: "198.18.1.1", port: 51820 };
export const CLIENT_V4 = v4("100.64.0.2");
export const CLIENT_V6 = v6("fd00:2021:1111::2");

export interface WorldOptions {
  /** Resources the client routes to the gateway. */
  readonly clientResources?: readonly string[];
  /** Resources the gateway has, and the ones it grants the client. */
  readonly gatewayResources?: readonly string[];
  readonly granted?: readonly string[];
}

/**
 * A client and a gateway joined by a simulated network and driven by a fake clock; the test
 * plays the resource LAN. Datagrams are delivered in order, instantly, until both sides are quiet.
 */
export class World {
  now = 0;
  readonly random = seededRandom(7);
  readonly clientKeys = keyPair(this.random);
  readonly gatewayKeys = keyPair(this.random);
  client: ClientState;
  gateway: GatewayState;
  /** Packets each side wrote to its TUN device. */
  readonly clientTun: Uint8Array[] = [];
  readonly gatewayTun: Uint8Array[] = [];
  /** When false, datagrams between the two are lost. */
  linkUp = true;
  readonly #options: WorldOptions;
  readonly #core: CoreOptions;

  constructor(options: WorldOptions = {}) {
    this.#options = options;
    this.#core = { timeOriginMs: 1_700_000_000_000, dh: nobleX25519, random: this.random };
    const clientResources: CidrResource[] = (
      options.clientResources ?? ["198.19.0.0/24", "fd00:198:19::/64"]
    ).map((text, i) => ({ id: `r${i}`, network: network(text), gateway: "gw" }));
    this.client = new ClientState(
      {
        privateKey: this.clientKeys.privateKey,
        tunnelIpv4: CLIENT_V4,
        tunnelIpv6: CLIENT_V6,
        gateways: [{ id: "gw", publicKey: this.gatewayKeys.publicKey, endpoint: GATEWAY_ENDPOINT }],
        resources: clientResources,
      },
      this.#core,
      this.now,
    );
    this.gateway = this.makeGateway();
  }

  /** A fresh gateway with the same keys and policy: a restart. */
  makeGateway(): GatewayState {
    const resources: GatewayResource[] = (
      this.#options.gatewayResources ?? ["198.19.0.0/24", "fd00:198:19::/64"]
    ).map((text) => ({ id: text, network: network(text) }));
    const client: ClientAuthorization = {
      id: "alice",
      publicKey: this.clientKeys.publicKey,
      tunnelIpv4: CLIENT_V4,
      tunnelIpv6: CLIENT_V6,
      resources: this.#options.granted ?? resources.map((resource) => resource.id),
    };
    return new GatewayState(
      { privateKey: this.gatewayKeys.privateKey, resources, clients: [client] },
      { ...this.#core, random: seededRandom(this.now + 99) },
      this.now,
    );
  }

  /** A packet from an application on the client. */
  clientSends(packet: Uint8Array): TunnelOutput {
    const out = new Uint8Array(packet.length + 64);
    const result = this.client.handleTunPacket(packet, out, this.now);
    this.#route(result, "client");
    this.settle();
    return result;
  }

  /** A packet from the resource LAN, arriving at the gateway's TUN device. */
  resourceSends(packet: Uint8Array): TunnelOutput {
    const out = new Uint8Array(packet.length + 64);
    const result = this.gateway.handleTunPacket(packet, out, this.now);
    this.#route(result, "gateway");
    this.settle();
    return result;
  }

  /** Moves the clock and runs both sides' timers at every deadline on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = Math.min(
        this.client.pollTimeout() ?? Number.POSITIVE_INFINITY,
        this.gateway.pollTimeout() ?? Number.POSITIVE_INFINITY,
      );
      if (next > end) break;
      this.now = Math.max(this.now, next);
      this.client.handleTimeout(this.now);
      this.gateway.handleTimeout(this.now);
      this.settle();
    }
    this.now = end;
  }

  /** Delivers every waiting datagram and queued packet until both sides are quiet. */
  settle(): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (const side of ["client", "gateway"] as const) {
        const state = side === "client" ? this.client : this.gateway;
        const out = new Uint8Array(2048);
        const transmit = state.pollTransmit(out, this.now);
        if (transmit !== undefined) {
          progress = true;
          this.#deliver(side, transmit.datagram.slice());
        }
      }
      for (let packet = this.client.pollPacket(); packet; packet = this.client.pollPacket()) {
        this.clientTun.push(packet);
      }
    }
  }

  #route(result: TunnelOutput, from: "client" | "gateway"): void {
    if (result.kind === "transmit") this.#deliver(from, result.datagram.slice());
    if (result.kind === "tun")
      (from === "client" ? this.clientTun : this.gatewayTun).push(result.packet.slice());
  }

  #deliver(from: "client" | "gateway", datagram: Uint8Array): void {
    if (!this.linkUp) return;
    const out = new Uint8Array(datagram.length + 64);
    if (from === "client") {
      const result = this.gateway.handleDatagram(CLIENT_ENDPOINT, datagram, out, this.now);
      this.#route(result, "gateway");
    } else {
      const result = this.client.handleDatagram(GATEWAY_ENDPOINT, datagram, out, this.now);
      this.#route(result, "client");
    }
  }
}

export function echoRequest(
  src: number | Uint8Array,
  dst: number | Uint8Array,
  sequence = 1,
): Uint8Array {
  const packet = buildIcmpEcho(
    { src, dst, reply: false, id: 0x1234, seq: sequence },
    new Uint8Array(56).fill(sequence & 0xff),
  );
  if (isWireError(packet)) throw new Error(`cannot build echo: ${packet.kind}`);
  return packet;
}

/** The resource's answer to an echo request that reached it. */
export function echoReplyTo(request: Uint8Array): Uint8Array {
  const parsed = parseIpPacket(request);
  if (isWireError(parsed)) throw new Error("not a packet");
  const icmp =
    parsed.version === 4
      ? Icmpv4Packet.checked(parsed.payload())
      : Icmpv6Packet.checked(parsed.payload());
  if (isWireError(icmp)) throw new Error("not ICMP");
  const reply = buildIcmpEcho(
    { src: parsed.dst, dst: parsed.src, reply: true, id: icmp.echoId, seq: icmp.echoSeq },
    icmp.payload(),
  );
  if (isWireError(reply)) throw new Error("cannot build reply");
  return reply;
}
