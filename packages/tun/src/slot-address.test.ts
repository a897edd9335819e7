import { describe, expect, test } from "bun:test";
import { BufferPool } from "@fz/bufferpool";
import {
  encodeSocketAddress,
  readSlotAddress,
  SLOT_DATA_MIN_OFFSET,
  SOCKET_ADDRESS_BYTES,
  slotAddressEquals,
  writeSlotAddress,
} from "@fz/tun";

describe("the address record in a slot's headroom", () => {
  test("a written address reads back, for both families", () => {
    const pool = BufferPool.create({ slotCount: 4 });
    const slot = pool.take() ?? -1;
    expect(writeSlotAddress(pool, slot, { family: 6, address: "fd00:198:18::2", port: 9 })).toBe(
      true,
    );
    expect(readSlotAddress(pool, slot)).toEqual({ family: 6, address: "fd00:198:18::2", port: 9 });
    expect(writeSlotAddress(pool, slot, { family: 4, address: "198.18.0.2", port: 51820 })).toBe(
      true,
    );
    expect(readSlotAddress(pool, slot)).toEqual({ family: 4, address: "198.18.0.2", port: 51820 });
  });

  test("lives in the first 32 bytes and leaves the rest of the slot alone", () => {
    const pool = BufferPool.create({ slotCount: 4 });
    const slot = pool.take() ?? -1;
    const bytes = pool.bytes(slot);
    bytes.fill(0x5a);
    writeSlotAddress(pool, slot, { family: 6, address: "fd00::1", port: 1 });
    expect(bytes.subarray(SOCKET_ADDRESS_BYTES).every((byte) => byte === 0x5a)).toBe(true);
    expect(SLOT_DATA_MIN_OFFSET).toBe(SOCKET_ADDRESS_BYTES);
    expect(SLOT_DATA_MIN_OFFSET).toBeLessThanOrEqual(pool.headroom);
  });

  test("a prepared record is copied, and compared without decoding", () => {
    const pool = BufferPool.create({ slotCount: 4 });
    const slot = pool.take() ?? -1;
    const peer = encodeSocketAddress({ family: 4, address: "198.18.0.9", port: 4000 });
    const other = encodeSocketAddress({ family: 4, address: "198.18.0.9", port: 4001 });
    if (peer === undefined || other === undefined) throw new Error("encoding failed");
    expect(writeSlotAddress(pool, slot, peer)).toBe(true);
    expect(slotAddressEquals(pool, slot, peer)).toBe(true);
    expect(slotAddressEquals(pool, slot, other)).toBe(false);
    expect(readSlotAddress(pool, slot)).toEqual({ family: 4, address: "198.18.0.9", port: 4000 });
  });

  test("refuses an address that does not parse or a record too short, and a fresh slot has none", () => {
    const pool = BufferPool.create({ slotCount: 4 });
    const slot = pool.take() ?? -1;
    expect(readSlotAddress(pool, slot)).toBeUndefined();
    expect(writeSlotAddress(pool, slot, { family: 4, address: "nope", port: 1 })).toBe(false);
    expect(writeSlotAddress(pool, slot, new Uint8Array(8))).toBe(false);
    expect(readSlotAddress(pool, slot)).toBeUndefined();
  });
});
