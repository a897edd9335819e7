import { isWireError, type WireError } from "@fz/ip-packet";

/** Unwraps a view or built packet; fails the test with the error kind otherwise. */
export function ok<T>(value: T | WireError): T {
  if (isWireError(value)) throw new Error(`unexpected wire error: ${value.kind}`);
  return value;
}

/** The error kind of a result, or "ok". */
export function kindOf(value: unknown): string {
  return isWireError(value) ? value.kind : "ok";
}

/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes from hex. */
export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

/**
 * A Uint8Array that throws on any indexed read or write outside its length, so a test catches
 * an accessor that strays past its view (a plain typed array would hand back undefined).
 */
export function guard(bytes: Uint8Array): Uint8Array {
  return new Proxy(bytes, {
    get(target, key) {
      if (typeof key === "string" && INDEX.test(key)) {
        const index = Number(key);
        if (index >= target.length) {
          throw new RangeError(`read of byte ${index} of a ${target.length}-byte view`);
        }
        return target[index];
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set(target, key, value) {
      if (typeof key === "string" && INDEX.test(key)) {
        const index = Number(key);
        if (index >= target.length) {
          throw new RangeError(`write of byte ${index} of a ${target.length}-byte view`);
        }
        target[index] = Number(value);
        return true;
      }
      return Reflect.set(target, key, value);
    },
  });
}

/** Whether `inner` is a view of the same memory lying within `outer`. */
export function within(inner: Uint8Array, outer: Uint8Array): boolean {
  return (
    inner.buffer === outer.buffer &&
    inner.byteOffset >= outer.byteOffset &&
    inner.byteOffset + inner.length <= outer.byteOffset + outer.length
  );
}

/** The straightforward RFC 1071 sum, word by word: the reference the fast paths must match. */
export function naiveChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

const INDEX = /^(0|[1-9][0-9]*)$/;
