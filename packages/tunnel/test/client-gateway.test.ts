import { describe, expect, test } from "bun:test";
import {
  buildIcmpEcho,
  formatIpAddress,
  Icmpv4Packet,
  Icmpv6Packet,
  isWireError,
  parseIpPacket,
} from "@fz/ip-packet";
import { MAX_STAGED_PACKETS_PER_GATEWAY } from "@fz/tunnel";
import {
  Device,
  KEEPALIVE_TIMEOUT_MS,
  REJECT_AFTER_TIME_MS,
  REKEY_TIMEOUT_MS,
} from "@fz/wireguard";
import {
  CLIENT_ENDPOINT,
  CLIENT_V4,
  CLIENT_V6,
  echoReplyTo,
  echoRequest,
  GATEWAY_ENDPOINT,
  seededRandom,
  v4,
  v6,
  World,
} from "./simulation.ts";

const RESOURCE_V4 = v4("198.19.0.2");
const RESOURCE_V6 = v6("fd00:198:19::2");

function parse(packet: Uint8Array | undefined) {
  const parsed = parseIpPacket(packet ?? new Uint8Array(0));
  if (isWireError(parsed)) throw new Error(`not a packet: ${parsed.kind}`);
  return parsed;
}

/** An echo request of `length` bytes in all, from the resource LAN to the client. */
function largeEchoToClient(sequence: number, length: number): Uint8Array {
  const packet = buildIcmpEcho(
    { src: RESOURCE_V4, dst: CLIENT_V4, reply: false, id: 0x4321, seq: sequence },
    new Uint8Array(length - 28).fill(sequence),
  );
  if (isWireError(packet)) throw new Error(`cannot build echo: ${packet.kind}`);
  return packet;
}

/** Pings from the client through the tunnel; the test answers as the resource. */
function ping(world: World, dst: number | Uint8Array, sequence = 1): void {
  const src = typeof dst === "number" ? CLIENT_V4 : CLIENT_V6;
  world.clientSends(echoRequest(src, dst, sequence));
  const arrived = world.gatewayTun.shift();
  if (arrived === undefined) throw new Error("the request did not reach the resource");
  world.resourceSends(echoReplyTo(arrived));
}

describe("a client reaches a CIDR resource through the gateway", () => {
  test.each([
    ["IPv4", RESOURCE_V4],
    ["IPv6", RESOURCE_V6],
  ] as const)(
    "%s ping: the first packet waits for the handshake, the reply comes back",
    (_, resource) => {
      const world = new World();
      ping(world, resource);
      const reply = parse(world.clientTun.shift());
      expect(formatIpAddress(reply.src)).toBe(formatIpAddress(resource));
      expect(formatIpAddress(reply.dst)).toBe(
        formatIpAddress(typeof resource === "number" ? CLIENT_V4 : CLIENT_V6),
      );
      const events = [world.client.pollEvent(), world.gateway.pollEvent()];
      expect(events.map((event) => event?.type)).toEqual([
        "handshake-completed",
        "handshake-completed",
      ]);
      expect(world.gateway.stats().clients[0]?.endpoint).toEqual(CLIENT_ENDPOINT);
    },
  );

  test("later packets go straight out, sealed for the gateway's endpoint", () => {
    const world = new World();
    ping(world, RESOURCE_V4, 1);
    world.clientTun.length = 0;
    const out = new Uint8Array(2048);
    const packet = echoRequest(CLIENT_V4, RESOURCE_V4, 2);
    out.set(packet, 16);
    const result = world.client.handleTunPacket(
      out.subarray(16, 16 + packet.length),
      out,
      world.now,
    );
    expect(result.kind).toBe("transmit");
    if (result.kind !== "transmit") return;
    expect(result.to).toEqual(GATEWAY_ENDPOINT);
    expect(result.datagram.byteOffset).toBe(out.byteOffset);
    expect(result.datagram.length).toBe(32 + Math.ceil(packet.length / 16) * 16);
  });

  test(`keeps at most ${MAX_STAGED_PACKETS_PER_GATEWAY} packets while the handshake runs, and sends them after`, () => {
    const world = new World();
    world.linkUp = false;
    for (let i = 0; i < 200; i++) world.clientSends(echoRequest(CLIENT_V4, RESOURCE_V4, i));
    expect(world.client.stats().gateways[0]?.stagedPackets).toBe(MAX_STAGED_PACKETS_PER_GATEWAY);
    world.linkUp = true;
    world.advance(REKEY_TIMEOUT_MS + 400);
    expect(world.gatewayTun).toHaveLength(MAX_STAGED_PACKETS_PER_GATEWAY);
    const sequences = world.gatewayTun.map(
      (packet) => Icmpv4Packet.unchecked(parse(packet).payload()).echoSeq,
    );
    expect(sequences[0]).toBe(200 - MAX_STAGED_PACKETS_PER_GATEWAY);
    expect(sequences.at(-1)).toBe(199);
  });
});

describe("policy", () => {
  test.each([
    ["IPv4", "198.20.0.0/24", v4("198.20.0.7"), 13],
    ["IPv6", "fd00:198:20::/64", v6("fd00:198:20::7"), 1],
  ] as const)(
    "%s: a destination the client is not granted is answered ICMP prohibited",
    (_, range, target, code) => {
      const world = new World({
        clientResources: ["198.19.0.0/24", "fd00:198:19::/64", range],
        gatewayResources: ["198.19.0.0/24", "fd00:198:19::/64", range],
        granted: ["198.19.0.0/24", "fd00:198:19::/64"],
      });
      world.clientSends(echoRequest(typeof target === "number" ? CLIENT_V4 : CLIENT_V6, target));
      expect(world.gatewayTun).toHaveLength(0);
      const error = parse(world.clientTun.shift());
      expect(formatIpAddress(error.src)).toBe(formatIpAddress(target));
      const icmp =
        error.version === 4
          ? Icmpv4Packet.checked(error.payload())
          : Icmpv6Packet.checked(error.payload());
      if (isWireError(icmp)) throw new Error("not ICMP");
      expect([icmp.type, icmp.code]).toEqual([error.version === 4 ? 3 : 1, code]);
      expect(world.gateway.stats().prohibited).toBe(1);
    },
  );

  test("a spoofed inner source is dropped by the gateway, nothing reaches the LAN", () => {
    const world = new World();
    ping(world, RESOURCE_V4);
    world.advance(1000);
    // A peer holding the client's key but not the client's state machine: it can seal anything.
    const rogue = new Device({
      privateKey: world.clientKeys.privateKey,
      timeOriginMs: 1_800_000_000_000,
      random: seededRandom(3),
    });
    const peer = rogue.addPeer({ publicKey: world.gatewayKeys.publicKey }, world.now);
    const packet = echoRequest(v4("100.64.0.99"), RESOURCE_V4);
    const toGateway: Uint8Array[] = [];
    const collect = (result: { type: string; packet?: Uint8Array } | undefined) => {
      if (result?.type === "write-to-network" && result.packet)
        toGateway.push(result.packet.slice());
    };
    collect(peer.encapsulate(packet, new Uint8Array(2048), world.now));
    for (let datagram = toGateway.shift(); datagram !== undefined; datagram = toGateway.shift()) {
      const result = world.gateway.handleDatagram(
        CLIENT_ENDPOINT,
        datagram,
        new Uint8Array(2048),
        world.now,
      );
      if (result.kind === "transmit") {
        collect(
          rogue.decapsulate(
            GATEWAY_ENDPOINT,
            result.datagram.slice(),
            new Uint8Array(2048),
            world.now,
          ),
        );
      }
      const out = new Uint8Array(2048);
      for (let r = rogue.pollTransmit(out, world.now); r; r = rogue.pollTransmit(out, world.now))
        collect(r);
    }
    expect(world.gatewayTun).toHaveLength(0);
    expect(world.gateway.stats().drops["wrong-source"]).toBe(1);
  });

  test("the client answers a destination outside every resource with ICMP unreachable", () => {
    const world = new World();
    world.clientSends(echoRequest(CLIENT_V4, v4("203.0.113.9")));
    const error = parse(world.clientTun.shift());
    const icmp = Icmpv4Packet.checked(error.payload());
    if (isWireError(icmp)) throw new Error("not ICMP");
    expect([icmp.type, icmp.code]).toEqual([3, 0]);
    expect(world.client.stats().drops["no-route"]).toBe(1);
  });

  test("the client drops a packet from the gateway whose source is not one of its resources", () => {
    const world = new World();
    ping(world, RESOURCE_V4);
    world.clientTun.length = 0;
    world.resourceSends(echoRequest(v4("198.20.0.1"), CLIENT_V4));
    expect(world.gatewayTun).toHaveLength(0);
    expect(world.gateway.stats().drops["not-allowed"]).toBe(1);
    expect(world.clientTun).toHaveLength(0);
  });

  test("packets from the LAN for an unknown tunnel address are dropped", () => {
    const world = new World();
    world.resourceSends(echoRequest(RESOURCE_V4, v4("100.64.0.77")));
    expect(world.gateway.stats().drops["unknown-client"]).toBe(1);
  });
});

describe("packets a core makes itself", () => {
  test("the gateway's ICMP error, sealed as a new session starts, costs no packet staged before it", () => {
    const world = new World({
      clientResources: ["198.19.0.0/24", "198.20.0.0/24"],
      gatewayResources: ["198.19.0.0/24", "198.20.0.0/24"],
      granted: ["198.19.0.0/24"],
    });
    ping(world, RESOURCE_V4);
    world.clientTun.length = 0;
    world.advance(REJECT_AFTER_TIME_MS + 1000);
    // The session has lapsed: the LAN's packets wait for a handshake the gateway cannot finish.
    world.linkUp = false;
    for (let sequence = 1; sequence <= 3; sequence++)
      world.resourceSends(largeEchoToClient(sequence, 1200));
    world.linkUp = true;
    // The client's handshake revives the session; its first packet is refused, so the gateway
    // seals an ICMP error while the three packets are still staged.
    world.clientSends(echoRequest(CLIENT_V4, v4("198.20.0.7")));
    const arrived = world.clientTun.map((packet) => parse(packet));
    const echoes = arrived.filter((packet) => packet.bytes.length === 1200);
    expect(echoes.map((packet) => Icmpv4Packet.unchecked(packet.payload()).echoSeq)).toEqual([
      1, 2, 3,
    ]);
    expect(arrived).toHaveLength(4);
    expect(world.gateway.stats().prohibited).toBe(1);
    expect(world.gateway.stats().wireguardErrors).toEqual({});
  });
});

describe("resilience", () => {
  test("the gateway restarts mid-run and the client recovers within WireGuard's timers", () => {
    const world = new World();
    ping(world, RESOURCE_V4, 1);
    world.clientTun.length = 0;
    world.advance(1000);
    world.gateway = world.makeGateway();

    let recoveredAt: number | undefined;
    for (let second = 0; second < 60 && recoveredAt === undefined; second++) {
      world.clientSends(echoRequest(CLIENT_V4, RESOURCE_V4, 100 + second));
      const arrived = world.gatewayTun.shift();
      if (arrived !== undefined) {
        world.resourceSends(echoReplyTo(arrived));
        if (world.clientTun.length > 0) recoveredAt = second;
      }
      world.gatewayTun.length = 0;
      world.advance(1000);
    }
    expect(recoveredAt).toBeDefined();
    // Lost-peer detection (keepalive timeout + rekey timeout + jitter) bounds the recovery.
    expect(recoveredAt).toBeLessThanOrEqual((KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS) / 1000 + 2);
  });

  test("random datagrams never throw and leave the session working", () => {
    const world = new World();
    ping(world, RESOURCE_V4, 1);
    world.clientTun.length = 0;
    const random = seededRandom(11);
    for (let i = 0; i < 500; i++) {
      const junk = new Uint8Array(1 + (i % 200));
      random(junk);
      if (i % 4 === 0) junk[0] = 4;
      expect(() =>
        world.client.handleDatagram(GATEWAY_ENDPOINT, junk, new Uint8Array(2048), world.now),
      ).not.toThrow();
      expect(() =>
        world.gateway.handleDatagram(CLIENT_ENDPOINT, junk, new Uint8Array(2048), world.now),
      ).not.toThrow();
      expect(() =>
        world.client.handleTunPacket(junk, new Uint8Array(2048), world.now),
      ).not.toThrow();
    }
    ping(world, RESOURCE_V4, 2);
    expect(world.clientTun).toHaveLength(1);
  });
});

describe("peers, as wg show describes them", () => {
  test("before any traffic: keys and configured endpoints, no handshake, nothing moved", () => {
    const world = new World();
    const [gateway] = world.client.peers(world.now);
    expect(gateway?.id).toBe("gw");
    expect(gateway?.publicKey).toEqual(world.gatewayKeys.publicKey);
    expect(gateway?.endpoint).toEqual(GATEWAY_ENDPOINT);
    expect(gateway?.handshakeAgeMs).toBeUndefined();
    expect([gateway?.rxBytes, gateway?.txBytes]).toEqual([0, 0]);
    const [client] = world.gateway.peers(world.now);
    expect(client?.publicKey).toEqual(world.clientKeys.publicKey);
    expect(client?.endpoint).toBeUndefined();
    expect(client?.allowedIps).toEqual(["100.64.0.2/32", "fd00:2021:1111::2/128"]);
  });

  test("after a ping: the handshake's age, the bytes each way, and the client's endpoint", () => {
    const world = new World();
    ping(world, RESOURCE_V4);
    const handshakeAt = world.now;
    world.advance(3_000);
    const [gateway] = world.client.peers(world.now);
    expect(gateway?.handshakeAgeMs).toBe(world.now - handshakeAt);
    expect(gateway?.allowedIps).toEqual(["198.19.0.0/24", "fd00:198:19::/64"]);
    const [client] = world.gateway.peers(world.now);
    expect(client?.endpoint).toEqual(CLIENT_ENDPOINT);
    expect(client?.handshakeAgeMs).toBe(world.now - handshakeAt);
    // Initiation (148) + transport data out; response (92) + transport data back.
    expect(gateway?.txBytes).toBeGreaterThan(148);
    expect(gateway?.rxBytes).toBeGreaterThan(92);
    expect(client?.rxBytes).toBe(gateway?.txBytes);
    expect(client?.txBytes).toBe(gateway?.rxBytes);
  });
});
