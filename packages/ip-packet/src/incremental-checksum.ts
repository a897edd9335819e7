import { readU16 } from "./bytes.ts";
import { foldChecksum } from "./checksum.ts";

// RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'). A "delta" is the unfolded sum of ~m + m' over every
// 16-bit word that changed; several deltas add up before they are applied once.

/** The delta of replacing the 16-bit word `old` with `next`. */
export function wordDelta(old: number, next: number): number {
  return (~old & 0xffff) + (next & 0xffff);
}

/** The delta of replacing the 32-bit value `old` (an IPv4 address) with `next`. */
export function u32Delta(old: number, next: number): number {
  const inverted = ~old;
  return ((inverted >>> 16) & 0xffff) + (inverted & 0xffff) + (next >>> 16) + (next & 0xffff);
}

/** The delta of replacing the `len` bytes (even) at `oldOffset` of `old` with those of `next`. */
export function bytesDelta(
  old: Uint8Array,
  oldOffset: number,
  next: Uint8Array,
  nextOffset: number,
  len: number,
): number {
  let acc = 0;
  for (let i = 0; i < len; i += 2) {
    acc += (~readU16(old, oldOffset + i) & 0xffff) + readU16(next, nextOffset + i);
  }
  return acc;
}

/** Applies a delta to a stored checksum (RFC 1624, eqn. 3). */
export function applyChecksumDelta(checksum: number, delta: number): number {
  return ~foldChecksum((~checksum & 0xffff) + delta) & 0xffff;
}

/**
 * Applies a delta to a UDP checksum: 0 means "no checksum" and stays 0; a result of 0 is sent as
 * 0xFFFF (RFC 768).
 */
export function applyUdpChecksumDelta(checksum: number, delta: number): number {
  if (checksum === 0) return 0;
  const updated = applyChecksumDelta(checksum, delta);
  return updated === 0 ? 0xffff : updated;
}

/** The checksum after the 16-bit word `old` it covers became `next`. */
export function updateChecksum16(checksum: number, old: number, next: number): number {
  return applyChecksumDelta(checksum, wordDelta(old, next));
}

/** The checksum after the 32-bit value `old` it covers became `next`. */
export function updateChecksum32(checksum: number, old: number, next: number): number {
  return applyChecksumDelta(checksum, u32Delta(old, next));
}
