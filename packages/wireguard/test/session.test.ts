import { describe, expect, test } from "bun:test";
import {
  Device,
  MessageType,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  sealedSize,
} from "@fz/wireguard";
import { ipv4Packet, ipv6Packet, Pair, privateKey, seededRandom } from "./harness.ts";

const V6_A = Uint8Array.fromHex("fd00019800180077000000000000000a");
const V6_B = Uint8Array.fromHex("fd00019800180077000000000000000b");

const summary = (pair: Pair) => pair.carried.map((d) => [d.from, d.type, d.bytes.length]);

describe("a full handshake", () => {
  test("A's first packet is staged, A initiates, and the packet arrives after the response", () => {
    const pair = new Pair();
    const packet = ipv4Packet("10.0.0.1", "10.0.0.2", 100);
    const result = pair.send("a", packet);
    expect(result.type).toBe("write-to-network");
    expect(summary(pair)).toEqual([
      ["a", MessageType.Initiation, 148],
      ["b", MessageType.Response, 92],
      ["a", MessageType.Transport, 32 + 128],
    ]);
    expect(pair.delivered.map((d) => d.packet)).toEqual([packet]);
    expect(pair.errors).toEqual([]);
    expect(pair.peerB.stats()).toMatchObject({ sessions: 1, hasSession: true, stagedPackets: 0 });
    expect(pair.peerA.stats()).toMatchObject({ sessions: 1, hasSession: true });
  });

  test("B can initiate as well, and staged packets go out in order", () => {
    const pair = new Pair();
    const packets = [20, 40, 60].map((n) => ipv4Packet("10.0.0.2", "10.0.0.1", n));
    pair.drop = (d) =>
      d.type === MessageType.Initiation && pair.sent(MessageType.Initiation).length === 1;
    for (const packet of packets) pair.send("b", packet);
    expect(pair.peerA.stats().stagedPackets).toBe(3);
    pair.drop = () => false;
    pair.advance(5_400);
    expect(pair.delivered.map((d) => d.packet)).toEqual(packets);
    expect(pair.sent(MessageType.Initiation, "b")).toHaveLength(2);
    expect(pair.sent(MessageType.Initiation, "a")).toHaveLength(0);
  });

  test("without a session and with an initiation sent under 5 s ago, encapsulate stages and sends nothing", () => {
    const pair = new Pair();
    pair.drop = () => true;
    expect(pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10)).type).toBe("write-to-network");
    expect(pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10)).type).toBe("done");
    expect(pair.carried).toHaveLength(1);
    expect(pair.peerB.stats().stagedPackets).toBe(2);
  });
});

describe("crossing initiations", () => {
  test("when both sides initiate at once and both responses are lost, the next retry settles it", () => {
    const pair = new Pair();
    pair.drop = () => true;
    const toB = ipv4Packet("10.0.0.1", "10.0.0.2", 20);
    const toA = ipv4Packet("10.0.0.2", "10.0.0.1", 20);
    pair.send("a", toB);
    pair.send("b", toA);
    const [fromA, fromB] = pair.carried.map((d) => d.bytes);
    if (fromA === undefined || fromB === undefined) throw new Error("no initiations");
    pair.receive("b", fromA);
    pair.receive("a", fromB);
    const [responseFromB, responseFromA] = pair.sent(MessageType.Response).map((d) => d.bytes);
    if (responseFromA === undefined || responseFromB === undefined) throw new Error("no responses");
    pair.drop = () => false;
    // Each side replaced its own initiation when it answered the other's.
    expect(pair.receive("a", responseFromB)).toMatchObject({ error: "unknown-index" });
    expect(pair.receive("b", responseFromA)).toMatchObject({ error: "unknown-index" });
    expect(pair.delivered).toEqual([]);
    pair.advanceTo(REKEY_TIMEOUT_MS + REKEY_TIMEOUT_JITTER_MAX_MS);
    expect(pair.delivered.map((d) => [d.to, d.packet])).toContainEqual(["b", toB]);
    expect(pair.delivered.map((d) => [d.to, d.packet])).toContainEqual(["a", toA]);
    expect(pair.delivered).toHaveLength(2);
  });
});

describe("key confirmation", () => {
  test("the responder sends with the new keypair only after data arrives on it", () => {
    const pair = new Pair();
    // Lose A's first transport message: B holds the keypair as `next` and must not use it.
    pair.drop = (d) => d.from === "a" && d.type === MessageType.Transport;
    pair.peerB.initiateHandshake(pair.now);
    pair.flush();
    expect(summary(pair)).toEqual([
      ["a", MessageType.Initiation, 148],
      ["b", MessageType.Response, 92],
      ["a", MessageType.Transport, 32],
    ]);
    expect(pair.peerA.stats()).toMatchObject({ sessions: 1, hasSession: false });
    const reply = ipv4Packet("10.0.0.2", "10.0.0.1", 30);
    expect(pair.send("b", reply).type).toBe("done");
    expect(pair.carried).toHaveLength(3);
    expect(pair.peerA.stats().stagedPackets).toBe(1);

    pair.drop = () => false;
    const data = ipv4Packet("10.0.0.1", "10.0.0.2", 30);
    pair.send("a", data);
    expect(pair.delivered.map((d) => [d.to, d.packet])).toEqual([
      ["b", data],
      ["a", reply],
    ]);
    expect(pair.peerA.stats()).toMatchObject({ hasSession: true, stagedPackets: 0 });
  });

  test("the initiator sends a keepalive right after consuming the response", () => {
    const pair = new Pair();
    pair.peerB.initiateHandshake(pair.now);
    pair.flush();
    expect(pair.sent(MessageType.Transport, "a").map((d) => d.bytes.length)).toEqual([32]);
    expect(pair.peerA.stats().hasSession).toBe(true);
    expect(pair.peerA.hasSession).toBe(true);
    expect(pair.peerA.lastHandshakeAt).toBe(pair.peerA.stats().lastHandshakeAt as number);
    expect(pair.peerA.lastHandshakeAt).toBeNumber();
  });
});

describe("data", () => {
  test("IPv4 and IPv6 both ways, padded to 16 on the wire and trimmed on arrival", () => {
    const pair = new Pair();
    const packets = [
      ["a", ipv4Packet("10.0.0.1", "10.0.0.2", 0)],
      ["b", ipv4Packet("10.0.0.2", "10.0.0.1", 1)],
      ["a", ipv6Packet(V6_A, V6_B, 7)],
      ["b", ipv6Packet(V6_B, V6_A, 1240)],
      ["a", ipv4Packet("10.0.0.1", "10.0.0.2", 1260)],
    ] as const;
    for (const [side, packet] of packets) pair.send(side, packet);
    expect(pair.delivered.map((d) => [d.to, d.version, d.packet])).toEqual([
      ["b", 4, packets[0][1]],
      ["a", 4, packets[1][1]],
      ["b", 6, packets[2][1]],
      ["a", 6, packets[3][1]],
      ["b", 4, packets[4][1]],
    ]);
    const dataSizes = pair
      .sent(MessageType.Transport)
      .map((d) => d.bytes.length)
      .filter((n) => n > 32);
    expect(dataSizes).toEqual([32 + 32, 32 + 32, 32 + 48, 32 + 1280, 32 + 1280]);
    expect(pair.errors).toEqual([]);
  });

  test("the tunnel result carries the trimmed inner packet, typed by IP version, and names the peer", () => {
    const pair = new Pair();
    const first = pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    expect(first.type).toBe("write-to-network");
    const out = new Uint8Array(2048);
    const packet4 = ipv4Packet("10.1.2.3", "10.0.0.1", 10);
    const sealed4 = pair.peerA.encapsulate(packet4, out, pair.now);
    if (sealed4.type !== "write-to-network") throw new Error(sealed4.type);
    const opened4 = pair.a.decapsulate(
      { address: "198.18.0.2", port: 1 },
      sealed4.packet.slice(),
      out,
      pair.now,
    );
    expect(opened4).toMatchObject({ type: "write-to-tunnel-v4", packet: packet4 });
    if (opened4.type !== "write-to-tunnel-v4") throw new Error(opened4.type);
    expect([...opened4.packet.subarray(12, 16)]).toEqual([10, 1, 2, 3]);
    expect(opened4.peer).toBe(pair.peerB);
    const packet6 = ipv6Packet(V6_B, V6_A, 10);
    const sealed = pair.peerA.encapsulate(packet6, out, pair.now);
    if (sealed.type !== "write-to-network") throw new Error(sealed.type);
    const opened = pair.a.decapsulate(
      { address: "198.18.0.2", port: 1 },
      sealed.packet.slice(),
      out,
      pair.now,
    );
    if (opened.type !== "write-to-tunnel-v6") throw new Error(opened.type);
    expect(opened.packet).toEqual(packet6);
    expect(opened.packet.subarray(8, 24)).toEqual(V6_B);
    expect(opened.peer).toBe(pair.peerB);
  });

  test("encryption and decryption work in place in one buffer", () => {
    const pair = new Pair();
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    const packet = ipv4Packet("10.0.0.1", "10.0.0.2", 100);
    const slot = new Uint8Array(64 + 2048);
    const out = slot.subarray(64);
    out.set(packet, 16);
    const sealed = pair.peerB.encapsulate(out.subarray(16, 16 + packet.length), out, pair.now);
    if (sealed.type !== "write-to-network") throw new Error(sealed.type);
    expect(sealed.packet.buffer).toBe(slot.buffer);
    expect(sealed.packet.byteOffset).toBe(out.byteOffset);
    const datagram = sealed.packet;
    const opened = pair.b.decapsulate(
      { address: "198.18.0.1", port: 1 },
      datagram,
      datagram.subarray(16),
      pair.now,
    );
    if (opened.type !== "write-to-tunnel-v4") throw new Error(opened.type);
    expect(opened.packet).toEqual(packet);
    expect(opened.packet.byteOffset).toBe(out.byteOffset + 16);
  });

  test("a transport message with a wrong tag or a replayed counter is dropped, after authentication", () => {
    const pair = new Pair();
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    const out = new Uint8Array(2048);
    const sealed = pair.peerB.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 10), out, pair.now);
    if (sealed.type !== "write-to-network") throw new Error(sealed.type);
    const datagram = sealed.packet.slice();
    const tampered = datagram.slice();
    tampered[40] = (tampered[40] ?? 0) ^ 1;
    expect(pair.receive("b", tampered)).toMatchObject({
      type: "error",
      error: "decryption-failed",
    });
    expect(pair.receive("b", datagram).type).toBe("write-to-tunnel-v4");
    expect(pair.receive("b", datagram)).toMatchObject({ type: "error", error: "replay" });
  });

  test("a packet too large for one UDP datagram is refused", () => {
    const pair = new Pair();
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    const out = new Uint8Array(70_000);
    // With the 1280-byte MTU, padding is computed on the last 1280-byte unit.
    for (const [length, fits] of [
      [65_504, false],
      [65_503, false],
      [65_489, false],
      [65_488, true],
      [64_000, true],
    ] as const) {
      const result = pair.peerB.encapsulate(new Uint8Array(length), out, pair.now);
      expect([
        length,
        result.type === "write-to-network" ? result.packet.length : result.type,
      ]).toEqual([length, fits ? sealedSize(length, 1280) : "error"]);
      expect(sealedSize(length, 1280) <= 65_535).toBe(fits);
    }
  });

  test("a buffer too small is an error value, and the counter is not used up", () => {
    const pair = new Pair();
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    const packet = ipv4Packet("10.0.0.1", "10.0.0.2", 100);
    expect(pair.peerB.encapsulate(packet, new Uint8Array(100), pair.now)).toMatchObject({
      type: "error",
      error: "buffer-too-small",
    });
    pair.send("a", packet);
    expect(pair.errors).toEqual([]);
    expect(pair.delivered.at(-1)?.packet).toEqual(packet);
  });
});

describe("preshared key", () => {
  const PSK = new Uint8Array(32).fill(7);

  test("with the same preshared key on both sides the session comes up", () => {
    const pair = new Pair({ peerOfA: { presharedKey: PSK }, peerOfB: { presharedKey: PSK } });
    const packet = ipv4Packet("10.0.0.1", "10.0.0.2", 50);
    pair.send("a", packet);
    expect(pair.delivered.map((d) => d.packet)).toEqual([packet]);
  });

  test("with a preshared key on one side only the response does not open", () => {
    const pair = new Pair({ peerOfA: { presharedKey: PSK } });
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 50));
    expect(pair.delivered).toEqual([]);
    expect(pair.errors.map((e) => [e.side, e.result.type === "error" && e.result.error])).toEqual([
      ["a", "invalid-handshake"],
    ]);
    expect(pair.peerB.stats().hasSession).toBe(false);
    expect(pair.peerB.hasSession).toBe(false);
    expect(pair.peerB.lastHandshakeAt).toBeUndefined();
  });
});

describe("a device with several peers", () => {
  test("routes initiations by static key and transport messages by index", () => {
    const random = seededRandom(9);
    const hub = new Device({ privateKey: privateKey(random), timeOriginMs: 1.7e12, random });
    const spokes = [0, 1, 2].map(
      () => new Device({ privateKey: privateKey(random), timeOriginMs: 1.7e12, random }),
    );
    const atHub = spokes.map((spoke) => hub.addPeer({ publicKey: spoke.publicKey }, 0));
    const atSpokes = spokes.map((spoke) => spoke.addPeer({ publicKey: hub.publicKey }, 0));
    const out = new Uint8Array(2048);
    const from = { address: "198.18.0.5", port: 51820 };
    spokes.forEach((spoke, i) => {
      const peer = atSpokes[i];
      if (peer === undefined) throw new Error("no peer");
      const initiation = peer.encapsulate(ipv4Packet(`10.0.0.${i}`, "10.0.9.9", 10), out, 0);
      if (initiation.type !== "write-to-network") throw new Error(initiation.type);
      const response = hub.decapsulate(from, initiation.packet.slice(), out, 0);
      if (response.type !== "write-to-network") throw new Error(response.type);
      expect(response.peer).toBe(atHub[i]);
      const data = spoke.decapsulate(from, response.packet.slice(), out, 0);
      if (data.type !== "write-to-network") throw new Error(data.type);
      const transport = data.packet.slice();
      const arrived = hub.decapsulate(from, transport, out, 0);
      expect(arrived).toMatchObject({ type: "write-to-tunnel-v4", peer: atHub[i] });
      // The same message offered to another peer's own decapsulate is refused.
      const other = atHub[(i + 1) % 3];
      expect(other?.decapsulate(transport, out, 0)).toMatchObject({
        type: "error",
        error: "wrong-peer",
      });
    });
  });

  test("an initiation from an unknown key is refused", () => {
    const random = seededRandom(3);
    const responder = new Device({ privateKey: privateKey(random), timeOriginMs: 0, random });
    const stranger = new Device({ privateKey: privateKey(random), timeOriginMs: 0, random });
    const peer = stranger.addPeer({ publicKey: responder.publicKey }, 0);
    const out = new Uint8Array(2048);
    const initiation = peer.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), out, 0);
    if (initiation.type !== "write-to-network") throw new Error(initiation.type);
    expect(
      responder.decapsulate({ address: "x", port: 1 }, initiation.packet, out, 0),
    ).toMatchObject({
      type: "error",
      error: "unknown-peer",
    });
  });

  test("removing a peer stops its indices from routing", () => {
    const pair = new Pair();
    pair.send("a", ipv4Packet("10.0.0.1", "10.0.0.2", 10));
    const out = new Uint8Array(2048);
    const sealed = pair.peerB.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 10), out, pair.now);
    if (sealed.type !== "write-to-network") throw new Error(sealed.type);
    pair.b.removePeer(pair.peerA);
    expect(pair.b.peer(pair.a.publicKey)).toBeUndefined();
    expect(pair.receive("b", sealed.packet.slice())).toMatchObject({
      type: "error",
      error: "unknown-index",
    });
  });
});
