import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from "./aead.ts";

/**
 * Argument checks shared by the backends. A wrong key size, counter or output buffer is a bug
 * in the caller, never network input, so these throw RangeError; the native backends depend on
 * them to never read or write outside the caller's buffers.
 */

/** Writes WireGuard's nonce for `counter` into `nonce`: 4 zero bytes, then u64 little-endian. */
export function writeCounterNonce(nonce: DataView, counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`an AEAD counter is a whole number from 0 to 2^53-1, got ${counter}`);
  }
  nonce.setUint32(0, 0, true);
  nonce.setUint32(4, counter >>> 0, true);
  nonce.setUint32(8, (counter / 0x100000000) >>> 0, true);
}

/** Checks key and nonce sizes and that `out` holds `plaintextLength` plus the tag. */
export function checkSealArguments(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintextLength: number,
  out: Uint8Array,
): void {
  checkKeyAndNonce(key, nonce);
  if (out.length < plaintextLength + AEAD_TAG_BYTES) {
    throw new RangeError(
      `seal needs an output of at least ${plaintextLength + AEAD_TAG_BYTES} bytes (plaintext + ${AEAD_TAG_BYTES}), got ${out.length}`,
    );
  }
}

/** Checks key and nonce sizes and that `buffer` holds `length` bytes and the tag at `offset`. */
export function checkSealInPlaceArguments(
  key: Uint8Array,
  nonce: Uint8Array,
  buffer: Uint8Array,
  offset: number,
  length: number,
): void {
  checkKeyAndNonce(key, nonce);
  checkRange(buffer, offset, length, AEAD_TAG_BYTES);
}

/** `checkOpenArguments`, and that `buffer` holds `sealedLength` bytes at `offset`. */
export function checkOpenAtArguments(
  key: Uint8Array,
  nonce: Uint8Array,
  buffer: Uint8Array,
  offset: number,
  sealedLength: number,
  out: Uint8Array,
): void {
  checkOpenArguments(key, nonce, sealedLength, out);
  checkRange(buffer, offset, sealedLength, 0);
}

/** Checks key and nonce sizes and, for a sealed message long enough to hold a tag, `out`. */
export function checkOpenArguments(
  key: Uint8Array,
  nonce: Uint8Array,
  sealedLength: number,
  out: Uint8Array,
): void {
  checkKeyAndNonce(key, nonce);
  if (out.length < sealedLength - AEAD_TAG_BYTES) {
    throw new RangeError(
      `open needs an output of at least ${sealedLength - AEAD_TAG_BYTES} bytes (sealed - ${AEAD_TAG_BYTES}), got ${out.length}`,
    );
  }
}

/** Checks that `length` bytes and `room` more fit in `buffer` at `offset`. */
function checkRange(buffer: Uint8Array, offset: number, length: number, room: number): void {
  if (
    !(Number.isSafeInteger(offset) && Number.isSafeInteger(length)) ||
    offset < 0 ||
    length < 0 ||
    offset + length + room > buffer.length
  ) {
    throw new RangeError(
      `${length} bytes and ${room} more at ${offset} do not fit a buffer of ${buffer.length} bytes`,
    );
  }
}

function checkKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AEAD_KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES) {
    throw new RangeError(
      `ChaCha20-Poly1305 takes a ${AEAD_KEY_BYTES}-byte key and a ${AEAD_NONCE_BYTES}-byte nonce, got ${key.length} and ${nonce.length}`,
    );
  }
}
