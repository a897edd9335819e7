import { describe, expect, test } from "bun:test";
import {
  BufferPool,
  CACHE_LINE_BYTES,
  IncompatibleBufferError,
  InvalidOptionsError,
  InvalidSlotError,
  MAX_DATAGRAM_BYTES,
  SlotNotTakenError,
} from "@fz/bufferpool";
import fc from "fast-check";

function takeAll(pool: BufferPool): number[] {
  const slots: number[] = [];
  for (let slot = pool.take(); slot !== undefined; slot = pool.take()) slots.push(slot);
  return slots;
}

describe("BufferPool.create", () => {
  test("defaults to slots that hold a 1316-byte datagram after 64 bytes of headroom", () => {
    const pool = BufferPool.create({ slotCount: 8 });
    expect(pool.slotCapacity).toBe(MAX_DATAGRAM_BYTES);
    expect(pool.headroom).toBe(64);
    expect(pool.slotSize % CACHE_LINE_BYTES).toBe(0);
    expect(pool.slotSize).toBeGreaterThanOrEqual(64 + 1316);
    expect(pool.slotSize).toBeLessThan(64 + 1316 + CACHE_LINE_BYTES);
    expect(pool.bytes(0).byteLength).toBe(pool.slotSize);
  });

  test("names the field and the fix for bad options", () => {
    expect(() => BufferPool.create({ slotCount: 0 })).toThrow(InvalidOptionsError);
    expect(() => BufferPool.create({ slotCount: 2.5 })).toThrow(
      "invalid slotCount: expected a whole number from 1 to 1048576, got 2.5",
    );
    expect(() => BufferPool.create({ headroom: -1 })).toThrow("invalid headroom");
  });
});

describe("take and giveBack", () => {
  test("hands out every slot once, then nothing, and counts the exhaustion", () => {
    const pool = BufferPool.create({ slotCount: 5 });
    expect(takeAll(pool).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(pool.take()).toBeUndefined();
    expect(pool.stats()).toEqual({ slotCount: 5, inUse: 5, highWater: 5, exhausted: 2 });
  });

  test("takes from the front and gives back at the back", () => {
    const pool = BufferPool.create({ slotCount: 4, shards: 1 });
    const [a, b] = [pool.take(), pool.take()] as [number, number];
    pool.giveBack(b);
    pool.giveBack(a);
    expect(takeAll(pool)).toEqual([2, 3, b, a]);
  });

  test("a handle takes from its home ring first, gives back there, and takes from the others when it is empty", () => {
    const pool = BufferPool.create({ slotCount: 8, shards: 2 });
    const other = BufferPool.attach(pool.buffer);
    expect([pool.take(), pool.take(), pool.take(), pool.take()]).toEqual([0, 1, 2, 3]);
    expect(other.take()).toBe(4);
    pool.giveBack(1);
    expect(pool.take()).toBe(1);
    expect(pool.take()).toBe(5);
    expect(other.take()).toBe(6);
    expect(pool.stats()).toEqual({ slotCount: 8, inUse: 7, highWater: 7, exhausted: 0 });
  });

  test("reports exhaustion only when every ring is empty", () => {
    const pool = BufferPool.create({ slotCount: 6, shards: 3 });
    expect(takeAll(pool).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pool.stats().exhausted).toBe(1);
    expect(() => BufferPool.create({ shards: 0 })).toThrow("invalid shards");
  });

  test("catches a double give-back and a slot never taken, and loses nothing", () => {
    const pool = BufferPool.create({ slotCount: 3 });
    const slot = pool.take() as number;
    pool.giveBack(slot);
    expect(() => pool.giveBack(slot)).toThrow(SlotNotTakenError);
    expect(() => pool.giveBack(2)).toThrow(`slot 2 was given back but is not taken`);
    expect(() => pool.giveBack(3)).toThrow(InvalidSlotError);
    expect(() => pool.giveBack(-1)).toThrow(InvalidSlotError);
    expect(() => pool.giveBack(1.5)).toThrow(InvalidSlotError);
    expect(pool.stats().inUse).toBe(0);
    expect(takeAll(pool).sort()).toEqual([0, 1, 2]);
  });

  test("batches take and give back several slots at once", () => {
    const pool = BufferPool.create({ slotCount: 6, shards: 1 });
    const slots = new Int32Array(4);
    expect(pool.takeBatch(slots)).toBe(4);
    expect(Array.from(slots)).toEqual([0, 1, 2, 3]);
    expect(pool.takeBatch(new Int32Array(4))).toBe(2);
    expect(pool.stats().exhausted).toBe(1);
    pool.giveBackBatch(slots, 3);
    expect(pool.stats().inUse).toBe(3);
    expect(takeAll(pool)).toEqual([0, 1, 2]);
  });

  test("a batch with a bad slot still gives back the good ones, then throws", () => {
    const pool = BufferPool.create({ slotCount: 4 });
    const taken = new Int32Array(3);
    pool.takeBatch(taken);
    const mixed = Int32Array.of(taken[0] ?? 0, 3, taken[2] ?? 0);
    expect(() => pool.giveBackBatch(mixed)).toThrow(SlotNotTakenError);
    expect(pool.stats().inUse).toBe(1);
    pool.giveBack(taken[1] ?? 0);
    expect(takeAll(pool).sort()).toEqual([0, 1, 2, 3]);
  });
});

describe("slot bytes", () => {
  test("views do not overlap, share the buffer, and are reused per slot", () => {
    const pool = BufferPool.create({ slotCount: 16, slotCapacity: 100, headroom: 8 });
    const slots = takeAll(pool);
    for (const slot of slots) pool.bytes(slot).fill(slot + 1);
    for (const slot of slots) {
      const view = pool.bytes(slot);
      expect(view.every((byte) => byte === slot + 1)).toBe(true);
      expect(view.buffer).toBe(pool.buffer);
      expect(view.byteOffset).toBe(pool.offsetOf(slot));
      expect(pool.bytes(slot)).toBe(view);
    }
    expect(() => pool.bytes(16)).toThrow(InvalidSlotError);
  });
});

describe("BufferPool.attach", () => {
  test("a second handle on the same buffer sees the same slots and state", () => {
    const pool = BufferPool.create({ slotCount: 4, slotCapacity: 200, headroom: 16 });
    const slot = pool.take() as number;
    pool.bytes(slot)[16] = 0xab;
    const other = BufferPool.attach(pool.buffer);
    expect([other.slotCount, other.slotCapacity, other.headroom, other.slotSize]).toEqual([
      4,
      200,
      16,
      pool.slotSize,
    ]);
    expect(other.bytes(slot)[16]).toBe(0xab);
    other.giveBack(slot);
    expect(() => pool.giveBack(slot)).toThrow(SlotNotTakenError);
    expect(pool.stats().inUse).toBe(0);
  });

  test("rejects a buffer that is not a pool", () => {
    expect(() => BufferPool.attach(new SharedArrayBuffer(4096))).toThrow(IncompatibleBufferError);
    expect(() => BufferPool.attach(new SharedArrayBuffer(8))).toThrow(IncompatibleBufferError);
  });
});

describe("stats and ownership match a model for any sequence of operations", () => {
  test("random takes and give-backs, including bad ones", () => {
    const action = fc.oneof(
      fc.constant({ kind: "take" as const }),
      fc.record({ kind: fc.constant("giveBack" as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant("giveBackAny" as const),
        slot: fc.integer({ min: -2, max: 12 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(action, { maxLength: 60 }),
        (count, shards, actions) => {
          const pool = BufferPool.create({ slotCount: count, slotCapacity: 16, shards });
          const taken = new Set<number>();
          let highWater = 0;
          let exhausted = 0;
          for (const act of actions) {
            if (act.kind === "take") {
              const slot = pool.take();
              if (taken.size === count) {
                expect(slot).toBeUndefined();
                exhausted++;
              } else {
                expect(slot).toBeDefined();
                expect(taken.has(slot as number)).toBe(false);
                taken.add(slot as number);
              }
            } else if (act.kind === "giveBack" && taken.size > 0) {
              const slot = [...taken][act.pick % taken.size] as number;
              pool.giveBack(slot);
              taken.delete(slot);
            } else if (act.kind === "giveBackAny") {
              if (taken.has(act.slot)) {
                pool.giveBack(act.slot);
                taken.delete(act.slot);
              } else {
                expect(() => pool.giveBack(act.slot)).toThrow();
              }
            }
            highWater = Math.max(highWater, taken.size);
            expect(pool.stats()).toEqual({
              slotCount: count,
              inUse: taken.size,
              highWater,
              exhausted,
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
