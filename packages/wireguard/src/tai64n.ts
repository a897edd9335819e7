/**
 * TAI64N timestamps, the payload of a handshake initiation: a big-endian u64 of
 * 2^62 + 10 + Unix seconds, then a big-endian u32 of nanoseconds. As in wireguard-go, the low
 * 24 bits of the nanoseconds are cleared, so a timestamp does not reveal the sender's clock
 * to better than about 16 ms. Responders only compare them, per peer.
 */

/** Bytes in a TAI64N timestamp. */
export const TAI64N_BYTES = 12;

const TAI64_BASE_LOW = 10;
const TAI64_BASE_HIGH = 0x4000_0000;
const NANOSECOND_MASK = 0xff00_0000;

/** The TAI64N timestamp of Unix time `unixMs` (milliseconds, fractions kept to the masking). */
export function tai64n(unixMs: number): Uint8Array {
  const stamp = new Uint8Array(TAI64N_BYTES);
  const seconds = Math.floor(unixMs / 1000);
  const nanoseconds = Math.floor((unixMs - seconds * 1000) * 1_000_000);
  const low = TAI64_BASE_LOW + seconds;
  const view = new DataView(stamp.buffer);
  view.setUint32(0, TAI64_BASE_HIGH + Math.floor(low / 0x1_0000_0000));
  view.setUint32(4, low >>> 0);
  view.setUint32(8, (nanoseconds & NANOSECOND_MASK) >>> 0);
  return stamp;
}

/** True when timestamp `a` is strictly later than `b` (both 12 bytes). */
export function isAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < TAI64N_BYTES; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return false;
}
