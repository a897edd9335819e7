/**
 * The data-path AEAD: ChaCha20-Poly1305 with WireGuard's nonce, 4 zero bytes then the 64-bit
 * little-endian counter. Backends: `@noble/ciphers` (everywhere) and a native one through
 * bun:ffi (`native.ts`, loaded by the shell and handed to the core as this interface).
 *
 * Both write into caller-supplied buffers (pool slots) and must produce identical bytes. The
 * data path uses `sealInPlace` and `openAt`, which take offsets instead of typed-array views:
 * a view costs about 50 ns to make, a packet's budget about 1 µs.
 * Counters are numbers: a session rekeys long before 2^53 messages, and larger counters from
 * the network are rejected before they reach a backend.
 */
export interface AeadBackend {
  readonly name: AeadBackendName;
  /**
   * Encrypts `plaintext` under `key` (32 bytes) and `counter`, with additional data `ad`, into
   * `out`: ciphertext then the 16-byte tag. `out` may be the same memory as `plaintext`
   * (in-place). Returns the bytes written, `plaintext.length + 16`.
   */
  seal(
    key: Uint8Array,
    counter: number,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
  /**
   * Verifies and decrypts `sealed` (ciphertext then tag) into `out`, which may be the same
   * memory. Returns the plaintext length, or -1 when the tag does not verify (then `out` holds
   * nothing to use). Never throws for bad input.
   */
  open(
    key: Uint8Array,
    counter: number,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
  /**
   * `seal` with no additional data of the `length` bytes at `buffer[offset]`, in place: the
   * ciphertext replaces them and the tag follows. Returns `length + 16`.
   */
  sealInPlace(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
  ): number;
  /**
   * `open` with no additional data of the `sealedLength` bytes at `buffer[offset]` into the
   * start of `out`, which may be the same memory.
   */
  openAt(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    sealedLength: number,
    out: Uint8Array,
  ): number;
}

export type AeadBackendName = "noble" | "openssl" | "libsodium";

export const AEAD_TAG_BYTES = 16;
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;

/**
 * The primitive under a backend: RFC 8439 ChaCha20-Poly1305 with an explicit 12-byte nonce, the
 * same contract as `seal` and `open` otherwise. For known-answer tests with nonces that are
 * not WireGuard's; the data path uses the counter methods.
 */
export interface ExplicitNonceAead {
  sealWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
  openWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
}

/** A backend that also exposes its explicit-nonce primitive; every backend here is one. */
export type AeadPrimitive = AeadBackend & ExplicitNonceAead;
