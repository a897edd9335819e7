import { describe, expect, test } from "bun:test";
import {
  KEEPALIVE_TIMEOUT_MS,
  MAX_TIMER_HANDSHAKES,
  MessageType,
  REJECT_AFTER_TIME_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  ZERO_KEYS_AFTER_MS,
} from "@fz/wireguard";
import { ipv4Packet, Pair } from "./harness.ts";

const TO_B = ipv4Packet("10.0.0.1", "10.0.0.2", 40);
const TO_A = ipv4Packet("10.0.0.2", "10.0.0.1", 40);

/** A pair with a session started by A at t = 0 and B's passive keepalive (t = 10 s) behind it. */
function established(): Pair {
  const pair = new Pair();
  pair.send("a", TO_B);
  pair.advanceTo(KEEPALIVE_TIMEOUT_MS);
  return pair;
}

const initiations = (pair: Pair, from: "a" | "b") =>
  pair.sent(MessageType.Initiation, from).map((d) => d.at);
const keepalives = (pair: Pair, from: "a" | "b") =>
  pair
    .sent(MessageType.Transport, from)
    .filter((d) => d.bytes.length === 32)
    .map((d) => d.at);

describe("rekeying", () => {
  test("the initiator rekeys on send once its keypair is older than 120 s", () => {
    const pair = established();
    pair.advanceTo(120_000);
    pair.send("a", TO_B);
    expect(initiations(pair, "a")).toEqual([0]);
    pair.advanceTo(120_001);
    pair.send("a", TO_B);
    expect(initiations(pair, "a")).toEqual([0, 120_001]);
    expect(pair.peerB.stats().sessions).toBe(2);
    expect(pair.delivered.filter((d) => d.to === "b")).toHaveLength(3);
  });

  test("the responder does not rekey on send at 120 s", () => {
    const pair = established();
    pair.advanceTo(121_000);
    pair.send("b", TO_A);
    expect(initiations(pair, "b")).toEqual([]);
    expect(pair.delivered.filter((d) => d.to === "a")).toHaveLength(1);
  });

  test("the initiator rekeys on receive once its keypair is older than 165 s", () => {
    const pair = established();
    pair.advanceTo(165_000);
    pair.send("b", TO_A);
    expect(initiations(pair, "a")).toEqual([0]);
    pair.advanceTo(165_001);
    pair.send("b", TO_A);
    expect(initiations(pair, "a")).toEqual([0, 165_001]);
    expect(pair.peerB.stats().sessions).toBe(2);
  });

  test("after 180 s nothing is sent or accepted on the old keypair; a new handshake carries the packet", () => {
    const pair = established();
    // B's keepalive at 10 s, on the first keypair; the age check comes before the replay check.
    const held = pair.sent(MessageType.Transport, "b").at(-1)?.bytes;
    if (held === undefined) throw new Error("nothing sent");
    pair.advanceTo(REJECT_AFTER_TIME_MS);
    expect(pair.receive("a", held)).toMatchObject({ type: "error", error: "replay" });

    pair.advanceTo(REJECT_AFTER_TIME_MS + 1);
    const before = pair.sent(MessageType.Transport, "a").length;
    expect(pair.send("a", TO_B).type).toBe("write-to-network");
    expect(initiations(pair, "a")).toEqual([0, REJECT_AFTER_TIME_MS + 1]);
    // The packet went out once, on the new keypair, after the response.
    expect(pair.sent(MessageType.Transport, "a").length - before).toBe(1);
    expect(pair.delivered.at(-1)).toMatchObject({ to: "b", packet: TO_B });
    expect(pair.receive("a", held)).toMatchObject({ type: "error", error: "expired-keypair" });
  });
});

describe("handshake retries", () => {
  test("retries every 5 s plus 0-334 ms of jitter, gives up after 20 initiations and drops staged packets", () => {
    const pair = new Pair();
    pair.drop = () => true;
    pair.send("a", TO_B);
    pair.send("a", TO_B);
    pair.advanceTo(200_000);
    const times = initiations(pair, "a");
    expect(times).toHaveLength(MAX_TIMER_HANDSHAKES + 2);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(REKEY_TIMEOUT_MS);
      expect(gap).toBeLessThan(REKEY_TIMEOUT_MS + REKEY_TIMEOUT_JITTER_MAX_MS);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
    expect(times.at(-1)).toBeLessThan(100_000 + 20 * REKEY_TIMEOUT_JITTER_MAX_MS);
    expect(pair.peerB.stats().stagedPackets).toBe(0);

    pair.drop = () => false;
    pair.advanceTo(300_000);
    expect(pair.delivered).toEqual([]);
    pair.send("a", TO_B);
    expect(pair.delivered.map((d) => d.packet)).toEqual([TO_B]);
  });

  test("a handshake that completes stops the retries", () => {
    const pair = new Pair();
    pair.drop = (d) => d.type === MessageType.Initiation && d.at < 10_000;
    pair.send("a", TO_B);
    pair.advanceTo(60_000);
    expect(initiations(pair, "a")).toHaveLength(3);
    expect(pair.delivered.map((d) => d.packet)).toEqual([TO_B]);
  });
});

describe("keepalives", () => {
  test("a passive keepalive follows received data by 10 s when nothing was sent back", () => {
    const pair = new Pair();
    pair.send("a", TO_B);
    pair.advanceTo(9_999);
    expect(keepalives(pair, "b")).toEqual([]);
    pair.advanceTo(10_000);
    expect(keepalives(pair, "b")).toEqual([10_000]);
    pair.advanceTo(60_000);
    expect(keepalives(pair, "b")).toEqual([10_000]);
  });

  test("no passive keepalive when data went back in the meantime", () => {
    const pair = new Pair();
    pair.send("a", TO_B);
    pair.advanceTo(4_000);
    pair.send("b", TO_A);
    pair.advanceTo(30_000);
    expect(keepalives(pair, "b")).toEqual([]);
    // A received B's data at 4 s, so A answers with a keepalive at 14 s.
    expect(keepalives(pair, "a")).toEqual([14_000]);
  });

  test("persistent keepalive: a handshake at once, then a keepalive after every 25 s of silence", () => {
    const pair = new Pair({ peerOfA: { persistentKeepaliveSeconds: 25 } });
    pair.advanceTo(0);
    expect(initiations(pair, "a")).toEqual([0]);
    pair.advanceTo(60_000);
    pair.send("b", TO_A);
    pair.advanceTo(110_000);
    // Data from B at 60 s: a passive keepalive at 70 s, and the persistent one 25 s after that.
    expect(keepalives(pair, "a")).toEqual([0, 25_000, 50_000, 70_000, 95_000]);
  });

  test("setPersistentKeepalive(0) stops them", () => {
    const pair = new Pair({ peerOfA: { persistentKeepaliveSeconds: 25 } });
    pair.advanceTo(30_000);
    pair.peerB.setPersistentKeepalive(0, pair.now);
    pair.advanceTo(100_000);
    expect(keepalives(pair, "a")).toEqual([0, 25_000]);
  });
});

describe("lost peer and key zeroing", () => {
  test("a new handshake 15 s (+ jitter) after sending data when nothing came back", () => {
    const pair = established();
    pair.drop = () => true;
    pair.advanceTo(20_000);
    pair.send("a", TO_B);
    pair.advanceTo(34_999);
    expect(initiations(pair, "a")).toEqual([0]);
    pair.advanceTo(36_000);
    const [, lost] = initiations(pair, "a");
    expect(lost).toBeGreaterThanOrEqual(35_000);
    expect(lost).toBeLessThan(35_000 + REKEY_TIMEOUT_JITTER_MAX_MS);
  });

  test("no lost-peer handshake when an answer arrives", () => {
    const pair = established();
    pair.advanceTo(20_000);
    pair.send("a", TO_B);
    pair.advanceTo(100_000);
    expect(initiations(pair, "a")).toEqual([0]);
  });

  test("every key is zeroed 540 s after the last session was derived", () => {
    const pair = established();
    const held = pair.sent(MessageType.Transport, "a").at(-1)?.bytes;
    if (held === undefined) throw new Error("nothing sent");
    pair.advanceTo(ZERO_KEYS_AFTER_MS - 1);
    expect(pair.peerB.stats().hasSession).toBe(true);
    expect(pair.receive("b", held)).toMatchObject({ type: "error", error: "expired-keypair" });
    pair.advanceTo(ZERO_KEYS_AFTER_MS);
    expect(pair.peerB.stats().hasSession).toBe(false);
    expect(pair.peerA.stats().hasSession).toBe(false);
    expect(pair.receive("b", held)).toMatchObject({ type: "error", error: "unknown-index" });
    expect(pair.a.pollTimeout()).toBeUndefined();
    expect(pair.b.pollTimeout()).toBeUndefined();
  });
});

describe("message limits", () => {
  test("either side rekeys once a keypair has sent more than rekeyAfterMessages", () => {
    const limits = { rekeyAfterMessages: 5 };
    const pair = new Pair({ a: limits, b: limits });
    pair.send("a", TO_B);
    pair.advanceTo(6_000);
    for (let i = 0; i < 5; i++) pair.send("b", TO_A);
    expect(initiations(pair, "b")).toEqual([]);
    pair.send("b", TO_A);
    expect(initiations(pair, "b")).toEqual([6_000]);
    expect(pair.peerA.stats().sessions).toBe(2);
  });

  test("a keypair stops sending at rejectAfterMessages and counters at or past it are refused", () => {
    const limits = { rejectAfterMessages: 8 };
    const pair = new Pair({ a: limits, b: limits });
    for (let i = 0; i < 8; i++) pair.send("a", TO_B);
    const transports = pair.sent(MessageType.Transport, "a");
    expect(transports).toHaveLength(8);
    pair.advanceTo(6_000);
    pair.send("a", TO_B);
    expect(initiations(pair, "a")).toEqual([0, 6_000]);
    expect(pair.delivered.filter((d) => d.to === "b")).toHaveLength(9);

    const last = transports.at(-1)?.bytes;
    if (last === undefined) throw new Error("nothing sent");
    const withCounter = (counter: number) => {
      const forged = last.slice();
      new DataView(forged.buffer).setBigUint64(8, BigInt(counter), true);
      return forged;
    };
    expect(pair.receive("b", withCounter(8))).toMatchObject({ error: "invalid-counter" });
    expect(pair.receive("b", withCounter(6))).toMatchObject({ error: "decryption-failed" });
  });

  test("with the default limits a counter of 2^53 or more is refused before decryption", () => {
    const pair = new Pair();
    pair.send("a", TO_B);
    const sent = pair.sent(MessageType.Transport, "a").at(-1)?.bytes;
    if (sent === undefined) throw new Error("nothing sent");
    for (const counter of [2n ** 53n, 2n ** 64n - 1n, 0xffff_ffff_ffff_dfffn]) {
      const forged = sent.slice();
      new DataView(forged.buffer).setBigUint64(8, counter, true);
      expect(pair.receive("b", forged)).toMatchObject({ error: "invalid-counter" });
    }
    const forged = sent.slice();
    new DataView(forged.buffer).setBigUint64(8, 2n ** 53n - 1n, true);
    expect(pair.receive("b", forged)).toMatchObject({ error: "decryption-failed" });
  });
});
