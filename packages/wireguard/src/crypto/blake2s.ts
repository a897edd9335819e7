import { BLOCK_BYTES, Blake2sState } from "./blake2s-state.ts";

/**
 * WireGuard's three BLAKE2s functions (whitepaper section 5.4): HASH, MAC and HMAC. Each takes
 * its message as parts, hashed as if concatenated, so callers never build the concatenation.
 */

/** Returns HASH(parts...): unkeyed BLAKE2s-256 of the concatenated parts. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  state.init(HASH_BYTES);
  for (const part of parts) state.update(part);
  return state.digest();
}

/** Returns MAC(key, parts...): keyed BLAKE2s with a 16-byte output (not HMAC). */
export function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  state.init(MAC_BYTES, key);
  for (const part of parts) state.update(part);
  return state.digest();
}

/** Returns HMAC(key, parts...): RFC 2104 HMAC over BLAKE2s-256, 32 bytes. */
export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmacInto(key, parts, new Uint8Array(HASH_BYTES));
}

export const HASH_BYTES = 32;
export const MAC_BYTES = 16;

/** Writes HMAC(key, parts...) into `out` and returns it. */
export function hmacInto(
  key: Uint8Array,
  parts: readonly Uint8Array[],
  out: Uint8Array,
): Uint8Array {
  padKey(key, IPAD);
  state.init(HASH_BYTES).update(pad);
  for (const part of parts) state.update(part);
  state.digestInto(inner);
  padKey(key, OPAD);
  return state.init(HASH_BYTES).update(pad).update(inner).digestInto(out);
}

/**
 * An HMAC key with its inner and outer pad blocks already compressed, for HKDF, which runs
 * several HMACs under one pseudorandom key: each then costs two compressions instead of four.
 */
export class HmacMidstate {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);

  /** Compresses the pad blocks of `key`, replacing the previous key. */
  setKey(key: Uint8Array): this {
    padKey(key, IPAD);
    this.#inner.set(state.init(HASH_BYTES).absorbBlock(pad).h);
    padKey(key, OPAD);
    this.#outer.set(state.init(HASH_BYTES).absorbBlock(pad).h);
    return this;
  }

  /** Writes HMAC(key, message) into `out`; `message` must not be empty. */
  macInto(message: Uint8Array, out: Uint8Array): Uint8Array {
    if (message.length === 0) throw new RangeError("HmacMidstate needs a non-empty message");
    state.resume(this.#inner, BLOCK_BYTES).update(message).digestInto(inner);
    return state.resume(this.#outer, BLOCK_BYTES).update(inner).digestInto(out);
  }

  /** Forgets the key. */
  clear(): void {
    this.#inner.fill(0);
    this.#outer.fill(0);
  }
}

const IPAD = 0x36;
const OPAD = 0x5c;
const state = new Blake2sState();
const pad = new Uint8Array(BLOCK_BYTES);
const inner = new Uint8Array(HASH_BYTES);

/** Fills `pad` with the key (hashed first when longer than a block) XOR `byte`. */
function padKey(key: Uint8Array, byte: number): void {
  const material = key.length > BLOCK_BYTES ? hash(key) : key;
  pad.fill(byte);
  for (let i = 0; i < material.length; i++) pad[i] = (material[i] as number) ^ byte;
}
