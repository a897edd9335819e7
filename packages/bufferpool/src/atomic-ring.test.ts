import { describe, expect, test } from "bun:test";
import { AtomicRing, EMPTY } from "@fz/bufferpool";
import fc from "fast-check";

function makeRing(capacity: number, payloadWords: number, startPosition = 0, padded = false) {
  const shape = { capacity, payloadWords, padded };
  const words = new Int32Array(new SharedArrayBuffer(AtomicRing.wordsNeeded(shape) * 4));
  AtomicRing.initialize(words, 0, shape, startPosition);
  return { words, ring: new AtomicRing(words, 0, shape) };
}

/** Pushes values as one batch claim (retrying for the rest) and returns how many went in. */
function pushAll(ring: AtomicRing, words: Int32Array, values: readonly number[]): number {
  let done = 0;
  while (done < values.length) {
    const count = ring.claimPush(values.length - done);
    if (count === 0) break;
    for (let i = 0; i < count; i++) {
      words[ring.payloadIndex((ring.claimedPos + i) | 0)] = values[done + i] ?? 0;
    }
    ring.publishPush(ring.claimedPos, count);
    done += count;
  }
  return done;
}

function popUpTo(ring: AtomicRing, words: Int32Array, max: number): number[] {
  const out: number[] = [];
  while (out.length < max) {
    const count = ring.claimPop(max - out.length);
    if (count === 0) break;
    for (let i = 0; i < count; i++)
      out.push(words[ring.payloadIndex((ring.claimedPos + i) | 0)] ?? 0);
    ring.releasePop(ring.claimedPos, count);
  }
  return out;
}

type Op =
  | { kind: "push"; values: number[] }
  | { kind: "pop"; max: number }
  | { kind: "pushWord"; value: number }
  | { kind: "popWord" };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("push" as const),
    values: fc.array(fc.integer(), { maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant("pop" as const), max: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ kind: fc.constant("pushWord" as const), value: fc.nat() }),
  fc.record({ kind: fc.constant("popWord" as const) }),
);

describe("AtomicRing", () => {
  test("capacity must be a power of two", () => {
    const words = new Int32Array(new SharedArrayBuffer(1024));
    expect(() => new AtomicRing(words, 0, { capacity: 6, payloadWords: 1, padded: false })).toThrow(
      RangeError,
    );
    expect(() => new AtomicRing(words, 0, { capacity: 8, payloadWords: 16, padded: true })).toThrow(
      "ring payload must be 1 to 15 words",
    );
    expect(AtomicRing.capacityFor(5)).toBe(8);
    expect(AtomicRing.capacityFor(1)).toBe(2);
  });

  test("refuses pushes when full and pops nothing when empty", () => {
    const { ring, words } = makeRing(4, 1);
    expect(ring.isEmpty()).toBe(true);
    expect(popUpTo(ring, words, 3)).toEqual([]);
    expect(pushAll(ring, words, [1, 2, 3, 4, 5, 6])).toBe(4);
    expect(ring.claimPush(1)).toBe(0);
    expect(ring.length).toBe(4);
    expect(popUpTo(ring, words, 10)).toEqual([1, 2, 3, 4]);
    expect(ring.isEmpty()).toBe(true);
  });

  test("a batch claim takes only the consecutive cells that are ready", () => {
    const { ring, words } = makeRing(8, 1);
    pushAll(ring, words, [10, 20, 30]);
    expect(ring.claimPop(8)).toBe(3);
    expect(ring.claimedPos).toBe(0);
    ring.releasePop(0, 3);
    expect(ring.claimPush(100)).toBe(8);
  });

  test("carries multi-word payloads", () => {
    const { ring, words } = makeRing(4, 3);
    expect(ring.claimPush(1)).toBe(1);
    const at = ring.payloadIndex(ring.claimedPos);
    words.set([7, 8, 9], at);
    ring.publishPush(ring.claimedPos, 1);
    expect(ring.claimPop(1)).toBe(1);
    expect(Array.from(words.subarray(ring.payloadIndex(ring.claimedPos), at + 3))).toEqual([
      7, 8, 9,
    ]);
  });

  test("behaves as a bounded FIFO for any sequence of pushes and pops, across the 32-bit wrap", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8, 16),
        fc.constantFrom(0, 0x7ffffff0, -20, 12345),
        fc.boolean(),
        fc.array(opArbitrary, { maxLength: 80 }),
        (capacity, start, padded, ops) => {
          const { ring, words } = makeRing(capacity, 1, start, padded);
          const model: number[] = [];
          for (const op of ops) {
            if (op.kind === "push") {
              const accepted = pushAll(ring, words, op.values);
              expect(accepted).toBe(Math.min(op.values.length, capacity - model.length));
              model.push(...op.values.slice(0, accepted));
            } else if (op.kind === "pop") {
              expect(popUpTo(ring, words, op.max)).toEqual(model.splice(0, op.max));
            } else if (op.kind === "pushWord") {
              const fits = model.length < capacity;
              expect(ring.pushWord(op.value)).toBe(fits);
              if (fits) model.push(op.value);
            } else {
              expect(ring.popWord()).toBe(model.shift() ?? EMPTY);
            }
            expect(ring.length).toBe(model.length);
            expect(ring.isEmpty()).toBe(model.length === 0);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
