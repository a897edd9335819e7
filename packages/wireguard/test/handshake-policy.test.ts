import { describe, expect, test } from "bun:test";
import { Device, MessageType, type TunnResult } from "@fz/wireguard";
import { ipv4Packet, Pair, privateKey, seededRandom } from "./harness.ts";

const TO_B = ipv4Packet("10.0.0.1", "10.0.0.2", 40);
const FROM_A = { address: "198.18.0.1", port: 51820 };

const kind = (result: TunnResult) => (result.type === "error" ? result.error : result.type);

describe("initiation replay and flood protection", () => {
  test("a replayed initiation is refused and changes nothing", () => {
    const pair = new Pair();
    pair.send("a", TO_B);
    const initiation = pair.sent(MessageType.Initiation, "a")[0]?.bytes;
    if (initiation === undefined) throw new Error("no initiation");
    pair.advanceTo(30_000);
    const before = pair.peerA.stats();
    const deadline = pair.b.pollTimeout();
    expect(kind(pair.receive("b", initiation))).toBe("timestamp-replay");
    expect(pair.peerA.stats()).toEqual(before);
    expect(pair.b.pollTimeout()).toBe(deadline);
    pair.send("b", ipv4Packet("10.0.0.2", "10.0.0.1", 10));
    expect(pair.delivered.at(-1)?.to).toBe("a");
  });

  test("an initiation within 20 ms of the last accepted one is a flood; after 20 ms it is accepted", () => {
    const random = seededRandom(5);
    const key = privateKey(random);
    const responder = new Device({ privateKey: privateKey(random), timeOriginMs: 0, random });
    // Three devices with the same key and clocks far apart, so each timestamp is newer.
    const devices = [0, 1, 2].map(
      (i) => new Device({ privateKey: key, timeOriginMs: 1.7e12 + i * 1_000, random }),
    );
    const initiators = devices.map((device) =>
      device.addPeer({ publicKey: responder.publicKey }, 0),
    );
    responder.addPeer({ publicKey: devices[0]?.publicKey ?? new Uint8Array(32) }, 0);
    const out = new Uint8Array(2048);
    const initiationAt = (index: number, now: number) => {
      const result = initiators[index]?.encapsulate(TO_B, out, now);
      if (result?.type !== "write-to-network") throw new Error("no initiation");
      return result.packet.slice();
    };
    const first = initiationAt(0, 0);
    const second = initiationAt(1, 0);
    const third = initiationAt(2, 0);
    expect(kind(responder.decapsulate(FROM_A, first, out, 1_000))).toBe("write-to-network");
    expect(kind(responder.decapsulate(FROM_A, second, out, 1_020))).toBe("handshake-flood");
    expect(kind(responder.decapsulate(FROM_A, second, out, 1_021))).toBe("write-to-network");
    expect(kind(responder.decapsulate(FROM_A, first, out, 2_000))).toBe("timestamp-replay");
    expect(kind(responder.decapsulate(FROM_A, third, out, 2_000))).toBe("write-to-network");
  });
});

describe("mac1", () => {
  test("is verified on every handshake message, under load or not", () => {
    const pair = new Pair();
    pair.drop = () => true;
    pair.send("a", TO_B);
    const initiation = pair.sent(MessageType.Initiation, "a")[0]?.bytes;
    if (initiation === undefined) throw new Error("no initiation");
    for (const at of [8, 100, 120]) {
      const tampered = initiation.slice();
      tampered[at] = (tampered[at] ?? 0) ^ 4;
      expect(kind(pair.receive("b", tampered))).toBe("invalid-mac");
    }
    expect(pair.peerA.stats().sessions).toBe(0);
  });
});

describe("under load", () => {
  test("the responder answers with a cookie; the initiator's retry carries mac2 and is accepted", () => {
    const pair = new Pair({ b: { handshakeLoadThreshold: 1 } });
    pair.send("a", TO_B);
    expect(pair.carried.map((d) => [d.from, d.type])).toEqual([
      ["a", MessageType.Initiation],
      ["b", MessageType.CookieReply],
    ]);
    const first = pair.sent(MessageType.Initiation, "a")[0]?.bytes;
    expect(first?.subarray(132).every((b) => b === 0)).toBe(true);
    expect(pair.peerA.stats().sessions).toBe(0);

    pair.advanceTo(5_400);
    expect(pair.carried.slice(2).map((d) => [d.from, d.type])).toEqual([
      ["a", MessageType.Initiation],
      ["b", MessageType.Response],
      ["a", MessageType.Transport],
    ]);
    const retry = pair.sent(MessageType.Initiation, "a")[1]?.bytes;
    expect(retry?.subarray(132).some((b) => b !== 0)).toBe(true);
    expect(pair.delivered.map((d) => d.packet)).toEqual([TO_B]);
    expect(pair.errors).toEqual([]);
  });

  test("mac2 is bound to the source: the same initiation from elsewhere gets a cookie reply", () => {
    const pair = new Pair({ b: { handshakeLoadThreshold: 1 } });
    pair.send("a", TO_B);
    pair.drop = (d) => d.type === MessageType.Initiation;
    pair.advanceTo(5_400);
    const retry = pair.sent(MessageType.Initiation, "a")[1]?.bytes;
    if (retry === undefined) throw new Error("no retry");
    const out = new Uint8Array(2048);
    const elsewhere = pair.b.decapsulate(
      { address: "198.18.0.99", port: 51820 },
      retry,
      out,
      pair.now,
    );
    expect(elsewhere).toMatchObject({ type: "write-to-network", peer: undefined });
    expect(elsewhere.type === "write-to-network" && elsewhere.packet.length).toBe(64);
    const otherPort = pair.b.decapsulate(
      { address: "198.18.0.1", port: 4242 },
      retry,
      out,
      pair.now,
    );
    expect(otherPort).toMatchObject({ type: "write-to-network", peer: undefined });
    expect(kind(pair.b.decapsulate(FROM_A, retry, out, pair.now))).toBe("write-to-network");
  });

  test("good mac2 then meets the per-address rate limit: 20 a second, burst 5", () => {
    const pair = new Pair({ b: { handshakeLoadThreshold: 1 } });
    pair.send("a", TO_B);
    pair.drop = (d) => d.type === MessageType.Initiation;
    pair.advanceTo(5_400);
    const retry = pair.sent(MessageType.Initiation, "a")[1]?.bytes;
    if (retry === undefined) throw new Error("no retry");
    const out = new Uint8Array(2048);
    const kinds = Array.from({ length: 6 }, () =>
      kind(pair.b.decapsulate(FROM_A, retry, out, pair.now)),
    );
    expect(kinds).toEqual([
      "write-to-network",
      "timestamp-replay",
      "timestamp-replay",
      "timestamp-replay",
      "rate-limited",
      "rate-limited",
    ]);
    expect(kind(pair.b.decapsulate(FROM_A, retry, out, pair.now + 51))).toBe("timestamp-replay");
    const other = { address: "198.18.0.7", port: 51820 };
    expect(pair.b.decapsulate(other, retry, out, pair.now + 51)).toMatchObject({
      type: "write-to-network",
      peer: undefined,
    });
  });

  test("a cookie reply that does not open is refused and changes nothing", () => {
    const pair = new Pair({ b: { handshakeLoadThreshold: 1 } });
    pair.drop = (d) => d.type === MessageType.CookieReply;
    pair.send("a", TO_B);
    const reply = pair.sent(MessageType.CookieReply, "b")[0]?.bytes;
    if (reply === undefined) throw new Error("no cookie reply");
    const tampered = reply.slice();
    tampered[40] = (tampered[40] ?? 0) ^ 1;
    expect(kind(pair.receive("a", tampered))).toBe("invalid-cookie");
    pair.drop = (d) => d.type === MessageType.CookieReply;
    pair.advanceTo(5_400);
    expect(
      pair
        .sent(MessageType.Initiation, "a")[1]
        ?.bytes.subarray(132)
        .every((b) => b === 0),
    ).toBe(true);
  });
});
