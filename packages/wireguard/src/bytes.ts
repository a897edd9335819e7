/** Reads an unsigned 32-bit little-endian integer at `offset`. */
export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}

/** Writes `value` as an unsigned 32-bit little-endian integer at `offset`. */
export function writeU32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value >>> 16;
  bytes[offset + 3] = value >>> 24;
}

/** Writes a non-negative safe integer as an unsigned 64-bit little-endian integer at `offset`. */
export function writeU64LE(bytes: Uint8Array, offset: number, value: number): void {
  writeU32LE(bytes, offset, value >>> 0);
  writeU32LE(bytes, offset + 4, Math.floor(value / 0x1_0000_0000));
}

/** Compares two byte strings in time that depends only on their lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** True when every byte is zero, in time that depends only on the length (for secrets). */
export function isZero(bytes: Uint8Array): boolean {
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i] ?? 0;
  return any === 0;
}

/** A shared empty byte string; never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

const utf8 = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}
