import { describe, expect, test } from "bun:test";
import { MessageType } from "@fz/wireguard";
import fc from "fast-check";
import { ipv4Packet, Pair, type Side } from "./harness.ts";

const TO_B = ipv4Packet("10.0.0.1", "10.0.0.2", 60);
const TO_A = ipv4Packet("10.0.0.2", "10.0.0.1", 60);

/** An established session with some history, and one message of every type it carried. */
function established() {
  const pair = new Pair({ seed: 11 });
  pair.send("a", TO_B);
  pair.send("b", TO_A);
  pair.advance(1_000);
  const underLoad = new Pair({ seed: 12, b: { handshakeLoadThreshold: 1 } });
  underLoad.send("a", TO_B);
  const samples = [
    ...pair.carried.map((d) => d.bytes),
    ...underLoad.sent(MessageType.CookieReply).map((d) => d.bytes),
  ];
  return { pair, samples };
}

function snapshot(pair: Pair) {
  return {
    a: pair.peerB.stats(),
    b: pair.peerA.stats(),
    aTimeout: pair.a.pollTimeout(),
    bTimeout: pair.b.pollTimeout(),
    errors: pair.errors.length,
  };
}

/** The counter of the next transport message `side` sends, by sending one. */
function nextCounter(pair: Pair, side: Side): bigint {
  pair.send(side, side === "a" ? TO_B : TO_A);
  const sent = pair.sent(MessageType.Transport, side).at(-1)?.bytes;
  if (sent === undefined) throw new Error("nothing sent");
  return new DataView(sent.buffer, sent.byteOffset).getBigUint64(8, true);
}

const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(fc.constantFrom(1, 2, 3, 4), fc.constantFrom(148, 92, 64, 32, 33, 48, 1312), fc.nat())
    .chain(([type, length]) =>
      fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => {
        bytes.set([type, 0, 0, 0]);
        return bytes;
      }),
    ),
);

describe("hostile datagrams", () => {
  const { pair, samples } = established();

  const survives = (deliver: () => void) => {
    const before = snapshot(pair);
    const counterBefore = { a: nextCounter(pair, "a"), b: nextCounter(pair, "b") };
    const delivered = pair.delivered.length;
    const mid = snapshot(pair);
    deliver();
    expect(snapshot(pair)).toEqual(mid);
    expect(pair.carried.at(-1)?.type).toBe(MessageType.Transport);
    expect(nextCounter(pair, "a")).toBe(counterBefore.a + 1n);
    expect(nextCounter(pair, "b")).toBe(counterBefore.b + 1n);
    expect(pair.delivered.length).toBe(delivered + 2);
    expect(snapshot(pair).a.sessions).toBe(before.a.sessions);
  };

  test("random bytes never throw and change no session state", () => {
    fc.assert(
      fc.property(datagram, fc.constantFrom<Side>("a", "b"), (bytes, to) => {
        survives(() => {
          const carried = pair.carried.length;
          expect(() =>
            pair
              .device(to)
              .decapsulate(
                { address: "198.18.0.66", port: 9 },
                bytes,
                new Uint8Array(2048),
                pair.now,
              ),
          ).not.toThrow();
          expect(pair.carried.length).toBe(carried);
        });
      }),
      { numRuns: 300 },
    );
  });

  test("mutated real messages never throw and change no session state", () => {
    const mutation = fc.record({
      sample: fc.nat(samples.length - 1),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      resize: fc.oneof(fc.constant(0), fc.integer({ min: -20, max: 20 })),
      to: fc.constantFrom<Side>("a", "b"),
    });
    fc.assert(
      fc.property(mutation, ({ sample, flips, resize, to }) => {
        const original = samples[sample] ?? new Uint8Array(0);
        const bytes = new Uint8Array(Math.max(0, original.length + resize));
        bytes.set(original.subarray(0, bytes.length));
        if (bytes.length === 0) return;
        for (const [at, mask] of flips)
          bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ mask;
        survives(() => {
          expect(() =>
            pair
              .device(to)
              .decapsulate(
                { address: "198.18.0.66", port: 9 },
                bytes,
                new Uint8Array(2048),
                pair.now,
              ),
          ).not.toThrow();
        });
      }),
      { numRuns: 300 },
    );
  });

  test("replays of every real message change no session state", () => {
    for (const sample of samples) {
      for (const to of ["a", "b"] as const) {
        survives(() => {
          pair
            .device(to)
            .decapsulate(
              { address: "198.18.0.1", port: 51820 },
              sample.slice(),
              new Uint8Array(2048),
              pair.now,
            );
        });
      }
    }
  });
});
