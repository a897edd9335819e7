import type { BufferPool } from "@fz/bufferpool";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  SOCKET_ADDRESS_BYTES,
  type SocketAddress,
  sameSocketAddress,
} from "./socket-address.ts";

/**
 * A UDP datagram in a pool slot carries its peer in the slot's first `SOCKET_ADDRESS_BYTES`
 * (a socket address record, see `SOCKET_ADDRESS_BYTES`), inside the headroom; its bytes start at
 * the offset in the descriptor's `meta`, at least `SLOT_DATA_MIN_OFFSET`. Received datagrams
 * start at `pool.headroom`, so WireGuard can decrypt in place and a reply can prepend headers.
 */
export const SLOT_DATA_MIN_OFFSET = SOCKET_ADDRESS_BYTES;

/**
 * Sets the slot's peer, the destination of a datagram about to go to `toNetwork`. A prepared
 * record (from `encodeSocketAddress`, made once per peer) is one 32-byte copy. Returns false
 * when the address does not parse.
 */
export function writeSlotAddress(
  pool: BufferPool,
  slot: number,
  address: SocketAddress | Uint8Array,
): boolean {
  const bytes = pool.bytes(slot);
  if (address instanceof Uint8Array) {
    if (address.length < SOCKET_ADDRESS_BYTES) return false;
    bytes.set(address.subarray(0, SOCKET_ADDRESS_BYTES), 0);
    return true;
  }
  return encodeSocketAddress(address, bytes, 0) !== undefined;
}

/** Reads the slot's peer, the source of a datagram from `fromNetwork`. */
export function readSlotAddress(pool: BufferPool, slot: number): SocketAddress | undefined {
  return decodeSocketAddress(pool.bytes(slot), 0);
}

/** Tells whether the slot's peer is the one in `record` (from `encodeSocketAddress`); allocates nothing. */
export function slotAddressEquals(pool: BufferPool, slot: number, record: Uint8Array): boolean {
  return sameSocketAddress(pool.bytes(slot), 0, record, 0);
}
