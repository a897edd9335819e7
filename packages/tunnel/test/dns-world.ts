import { isPatternError, type NamePattern, parsePattern } from "@fz/dns-nat";
import {
  buildUdpPacket,
  decodeP2pEvent,
  isP2pControl,
  isWireError,
  P2pControlPacket,
  type P2pEvent,
  parseIpPacket,
} from "@fz/ip-packet";
import { ClientState, type TunnelOutput } from "@fz/tunnel";
import { Device, nobleX25519, type Peer } from "@fz/wireguard";
import {
  CLIENT_ENDPOINT,
  CLIENT_V4,
  CLIENT_V6,
  GATEWAY_ENDPOINT,
  keyPair,
  seededRandom,
  v4,
} from "./simulation.ts";

// A client with DNS resources and, as its gateway, a raw WireGuard device that the test drives
// by hand: it sees exactly what the client sealed for it (data and p2p control packets) and
// seals what the test makes it say.

export const UPSTREAM = { address: "198.19.0.53", port: 53 };
export const SENTINEL_V4 = v4("100.100.111.1");
export const APP_PORT = 40123;
export const WIKI = { id: "wiki", domain: "wiki.example.com" };

export class DnsWorld {
  now = 0;
  readonly random = seededRandom(11);
  readonly clientKeys = keyPair(this.random);
  readonly gatewayKeys = keyPair(this.random);
  readonly client: ClientState;
  readonly gateway: Device;
  readonly gatewayPeer: Peer;
  /** Packets the client wrote to its TUN device. */
  readonly clientTun: Uint8Array[] = [];
  /** Data packets the gateway decrypted, and the p2p control events among them. */
  readonly gatewayTun: Uint8Array[] = [];
  readonly gatewayEvents: P2pEvent[] = [];

  constructor() {
    const core = { timeOriginMs: 1_700_000_000_000, dh: nobleX25519, random: this.random };
    this.client = new ClientState(
      {
        privateKey: this.clientKeys.privateKey,
        tunnelIpv4: CLIENT_V4,
        tunnelIpv6: CLIENT_V6,
        gateways: [{ id: "gw", publicKey: this.gatewayKeys.publicKey, endpoint: GATEWAY_ENDPOINT }],
        resources: [],
        dnsResources: [{ id: WIKI.id, pattern: pattern(WIKI.domain), gateway: "gw" }],
        upstreamDns: [UPSTREAM],
      },
      core,
      this.now,
    );
    this.gateway = new Device({ privateKey: this.gatewayKeys.privateKey, ...core });
    this.gatewayPeer = this.gateway.addPeer({ publicKey: this.clientKeys.publicKey }, this.now);
  }

  /** A packet from an application on the client. */
  clientSends(packet: Uint8Array): TunnelOutput {
    const out = new Uint8Array(packet.length + 64);
    const result = this.client.handleTunPacket(packet, out, this.now);
    if (result.kind === "transmit") this.#toGateway(result.datagram.slice());
    this.settle();
    return result;
  }

  /** The gateway seals a packet (data or p2p control) for the client. */
  gatewaySends(packet: Uint8Array): TunnelOutput {
    const out = new Uint8Array(packet.length + 256);
    const sealed = this.gatewayPeer.encapsulate(packet, out, this.now);
    if (sealed.type !== "write-to-network") throw new Error(`gateway cannot send: ${sealed.type}`);
    const result = this.#toClient(sealed.packet.slice());
    this.settle();
    return result;
  }

  /** Moves the clock, running the client's timers at every deadline on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let next = this.client.pollTimeout(); next !== undefined && next <= end; ) {
      this.now = Math.max(this.now, next);
      this.client.handleTimeout(this.now);
      this.gateway.handleTimeout(this.now);
      this.settle();
      next = this.client.pollTimeout();
    }
    this.now = end;
  }

  /** Delivers every waiting datagram and packet until both sides are quiet. */
  settle(): void {
    for (let progress = true; progress; ) {
      progress = false;
      const out = new Uint8Array(2048);
      const fromClient = this.client.pollTransmit(out, this.now);
      if (fromClient !== undefined) {
        progress = true;
        this.#toGateway(fromClient.datagram.slice());
      }
      const fromGateway = this.gateway.pollTransmit(out, this.now);
      if (fromGateway?.type === "write-to-network") {
        progress = true;
        this.#toClient(fromGateway.packet.slice());
      }
      for (let packet = this.client.pollPacket(); packet; packet = this.client.pollPacket()) {
        this.clientTun.push(packet);
      }
    }
  }

  #toGateway(datagram: Uint8Array): void {
    const out = new Uint8Array(datagram.length + 2048);
    const result = this.gateway.decapsulate(CLIENT_ENDPOINT, datagram, out, this.now);
    if (result.type === "write-to-network") this.#toClient(result.packet.slice());
    if (result.type !== "write-to-tunnel-v4" && result.type !== "write-to-tunnel-v6") return;
    const parsed = parseIpPacket(result.packet);
    if (!isWireError(parsed) && isP2pControl(parsed)) {
      const control = P2pControlPacket.checked(parsed);
      const event = isWireError(control) ? control : decodeP2pEvent(control);
      if (isWireError(event)) throw new Error(`bad control packet: ${event.kind}`);
      this.gatewayEvents.push(event);
    } else {
      this.gatewayTun.push(result.packet.slice());
    }
  }

  #toClient(datagram: Uint8Array): TunnelOutput {
    const out = new Uint8Array(datagram.length + 2048);
    const result = this.client.handleDatagram(GATEWAY_ENDPOINT, datagram, out, this.now);
    if (result.kind === "transmit") this.#toGateway(result.datagram.slice());
    if (result.kind === "tun") this.clientTun.push(result.packet.slice());
    return result;
  }
}

function pattern(text: string): NamePattern {
  const parsed = parsePattern(text);
  if (isPatternError(parsed)) throw new Error(parsed.reason);
  return parsed;
}

/** A UDP packet from the client application to `dst`. */
export function udpFromApp(
  dst: number | Uint8Array,
  payload: Uint8Array,
  dstPort = 443,
  srcPort = APP_PORT,
): Uint8Array {
  const src = typeof dst === "number" ? CLIENT_V4 : CLIENT_V6;
  const packet = buildUdpPacket({ src, dst, srcPort, dstPort }, payload);
  if (isWireError(packet)) throw new Error(`cannot build UDP: ${packet.kind}`);
  return packet;
}
