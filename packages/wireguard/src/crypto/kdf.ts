import { HASH_BYTES, HmacMidstate, hmacInto } from "./blake2s.ts";

/**
 * WireGuard's KDF1..KDF3 (whitepaper section 5.4): HKDF (RFC 5869) over HMAC-BLAKE2s with the
 * chaining key as salt and empty info. Extract: prk = HMAC(C, input); expand:
 * T1 = HMAC(prk, 0x01), T2 = HMAC(prk, T1 || 0x02), T3 = HMAC(prk, T2 || 0x03).
 */

/** Returns KDF1(chainingKey, input): [T1]. */
export function kdf1(chainingKey: Uint8Array, input: Uint8Array): [Uint8Array] {
  derive(chainingKey, input, 1);
  return [takeOutput(0)];
}

/** Returns KDF2(chainingKey, input): [T1, T2]. */
export function kdf2(chainingKey: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  derive(chainingKey, input, 2);
  return [takeOutput(0), takeOutput(1)];
}

/** Returns KDF3(chainingKey, input): [T1, T2, T3]. */
export function kdf3(
  chainingKey: Uint8Array,
  input: Uint8Array,
): [Uint8Array, Uint8Array, Uint8Array] {
  derive(chainingKey, input, 3);
  return [takeOutput(0), takeOutput(1), takeOutput(2)];
}

const ONE = Uint8Array.of(1);
const prk = new Uint8Array(HASH_BYTES);
const prkState = new HmacMidstate();
// An expansion message: the previous output, then the counter byte.
const message = new Uint8Array(HASH_BYTES + 1);
const outputs = new Uint8Array(3 * HASH_BYTES);

function derive(chainingKey: Uint8Array, input: Uint8Array, count: number): void {
  hmacInto(chainingKey, [input], prk);
  prkState.setKey(prk);
  prk.fill(0);
  prkState.macInto(ONE, outputs.subarray(0, HASH_BYTES));
  for (let i = 1; i < count; i++) {
    message.set(outputs.subarray((i - 1) * HASH_BYTES, i * HASH_BYTES));
    message[HASH_BYTES] = i + 1;
    prkState.macInto(message, outputs.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  }
  prkState.clear();
  message.fill(0);
}

/** Copies output `index` out of the scratch buffer and wipes it there. */
function takeOutput(index: number): Uint8Array {
  const scratch = outputs.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  const output = scratch.slice();
  scratch.fill(0);
  return output;
}
