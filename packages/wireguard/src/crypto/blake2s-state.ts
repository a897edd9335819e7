/**
 * Streaming BLAKE2s (RFC 7693) over one reusable state: nothing is allocated per hash, so the
 * handshake's many short hashes, MACs and HMACs cost only their compressions. Sequential use
 * only: a state is not re-entrant, and each thread (Worker) has its own module instance.
 */
export class Blake2sState {
  /** The chaining value h[0..7]. */
  readonly h = new Int32Array(8);
  readonly #block = new Uint8Array(BLOCK_BYTES);
  readonly #blockView = new DataView(this.#block.buffer);
  #filled = 0;
  #compressedBytes = 0;
  #outputBytes = 32;

  /** Starts a hash of `outputBytes` (1..32), keyed when `key` (1..32 bytes) is given. */
  init(outputBytes: number, key?: Uint8Array): this {
    const keyBytes = key === undefined ? 0 : key.length;
    if (outputBytes < 1 || outputBytes > 32 || keyBytes > 32) {
      throw new RangeError(
        `BLAKE2s takes 1 to 32 output bytes and a key of at most 32 bytes, got ${outputBytes} and ${keyBytes}`,
      );
    }
    this.h.set(IV);
    this.h[0] = (IV0 ^ 0x01010000 ^ (keyBytes << 8) ^ outputBytes) | 0;
    this.#outputBytes = outputBytes;
    this.#compressedBytes = 0;
    this.#filled = 0;
    if (key !== undefined && keyBytes > 0) {
      this.#block.fill(0);
      this.#block.set(key);
      this.#filled = BLOCK_BYTES;
    }
    return this;
  }

  /**
   * Starts from a chaining value saved after `compressedBytes` whole blocks (an HMAC midstate),
   * for a 32-byte unkeyed output.
   */
  resume(h: Int32Array, compressedBytes: number): this {
    this.h.set(h);
    this.#outputBytes = 32;
    this.#compressedBytes = compressedBytes;
    this.#filled = 0;
    return this;
  }

  /** Absorbs a whole first block without finalising it, even when nothing else follows. */
  absorbBlock(block: Uint8Array): this {
    this.#block.set(block);
    this.#compressedBytes += BLOCK_BYTES;
    compress(this.h, this.#blockView, this.#compressedBytes, false);
    return this;
  }

  update(data: Uint8Array): this {
    let offset = 0;
    const length = data.length;
    while (offset < length) {
      if (this.#filled === BLOCK_BYTES) {
        // The last block must be compressed with the final flag, so a full block waits here
        // until more input proves it is not the last.
        this.#compressedBytes += BLOCK_BYTES;
        compress(this.h, this.#blockView, this.#compressedBytes, false);
        this.#filled = 0;
      }
      const take = Math.min(BLOCK_BYTES - this.#filled, length - offset);
      this.#block.set(data.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
    }
    return this;
  }

  /** Finalises into `out` (at least the output length). The state must be re-initialised after. */
  digestInto(out: Uint8Array): Uint8Array {
    this.#block.fill(0, this.#filled);
    this.#compressedBytes += this.#filled;
    compress(this.h, this.#blockView, this.#compressedBytes, true);
    const h = this.h;
    for (let i = 0; i < this.#outputBytes; i++) {
      out[i] = ((h[i >> 2] as number) >>> ((i & 3) * 8)) & 0xff;
    }
    return out;
  }

  digest(): Uint8Array {
    return this.digestInto(new Uint8Array(this.#outputBytes));
  }
}

export const BLOCK_BYTES = 64;

const IV0 = 0x6a09e667;
const IV = Int32Array.of(
  IV0,
  0xbb67ae85 | 0,
  0x3c6ef372,
  0xa54ff53a | 0,
  0x510e527f,
  0x9b05688c | 0,
  0x1f83d9ab,
  0x5be0cd19,
);

// RFC 7693 section 2.7, rounds 0..9, flattened.
const SIGMA = Uint8Array.of(
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  14,
  10,
  4,
  8,
  9,
  15,
  13,
  6,
  1,
  12,
  0,
  2,
  11,
  7,
  5,
  3,
  11,
  8,
  12,
  0,
  5,
  2,
  15,
  13,
  10,
  14,
  3,
  6,
  7,
  1,
  9,
  4,
  7,
  9,
  3,
  1,
  13,
  12,
  11,
  14,
  2,
  6,
  5,
  10,
  4,
  0,
  15,
  8,
  9,
  0,
  5,
  7,
  2,
  4,
  10,
  15,
  14,
  1,
  11,
  12,
  6,
  8,
  3,
  13,
  2,
  12,
  6,
  10,
  0,
  11,
  8,
  3,
  4,
  13,
  7,
  5,
  15,
  14,
  1,
  9,
  12,
  5,
  1,
  15,
  14,
  13,
  4,
  10,
  0,
  7,
  6,
  3,
  9,
  2,
  8,
  11,
  13,
  11,
  7,
  14,
  12,
  1,
  3,
  9,
  5,
  0,
  15,
  4,
  8,
  6,
  2,
  10,
  6,
  15,
  14,
  9,
  11,
  3,
  0,
  8,
  12,
  2,
  13,
  7,
  1,
  4,
  10,
  5,
  10,
  2,
  8,
  4,
  7,
  6,
  1,
  5,
  15,
  11,
  9,
  14,
  3,
  12,
  13,
  0,
);

const M = new Int32Array(16);

/**
 * The compression function F: mixes one 64-byte block into `h`. `t` is the byte count so far,
 * including this block. The sixteen working words live in locals so the JIT keeps them in
 * registers.
 */
function compress(h: Int32Array, block: DataView, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) M[i] = block.getInt32(i * 4, true);
  let v0 = h[0] as number;
  let v1 = h[1] as number;
  let v2 = h[2] as number;
  let v3 = h[3] as number;
  let v4 = h[4] as number;
  let v5 = h[5] as number;
  let v6 = h[6] as number;
  let v7 = h[7] as number;
  let v8 = IV0;
  let v9 = IV[1] as number;
  let v10 = IV[2] as number;
  let v11 = IV[3] as number;
  let v12 = (IV[4] as number) ^ (t >>> 0);
  let v13 = (IV[5] as number) ^ ((t / 0x100000000) >>> 0);
  let v14 = last ? ~(IV[6] as number) : (IV[6] as number);
  let v15 = IV[7] as number;
  for (let s = 0; s < 160; s += 16) {
    // G(v0, v4, v8, v12)
    v0 = (v0 + v4 + (M[SIGMA[s] as number] as number)) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 16) | (v12 << 16);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 12) | (v4 << 20);
    v0 = (v0 + v4 + (M[SIGMA[s + 1] as number] as number)) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 8) | (v12 << 24);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 7) | (v4 << 25);
    // G(v1, v5, v9, v13)
    v1 = (v1 + v5 + (M[SIGMA[s + 2] as number] as number)) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 16) | (v13 << 16);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 12) | (v5 << 20);
    v1 = (v1 + v5 + (M[SIGMA[s + 3] as number] as number)) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 8) | (v13 << 24);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 7) | (v5 << 25);
    // G(v2, v6, v10, v14)
    v2 = (v2 + v6 + (M[SIGMA[s + 4] as number] as number)) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 16) | (v14 << 16);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 12) | (v6 << 20);
    v2 = (v2 + v6 + (M[SIGMA[s + 5] as number] as number)) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 8) | (v14 << 24);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 7) | (v6 << 25);
    // G(v3, v7, v11, v15)
    v3 = (v3 + v7 + (M[SIGMA[s + 6] as number] as number)) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 16) | (v15 << 16);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 12) | (v7 << 20);
    v3 = (v3 + v7 + (M[SIGMA[s + 7] as number] as number)) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 8) | (v15 << 24);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 7) | (v7 << 25);
    // G(v0, v5, v10, v15)
    v0 = (v0 + v5 + (M[SIGMA[s + 8] as number] as number)) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 16) | (v15 << 16);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 12) | (v5 << 20);
    v0 = (v0 + v5 + (M[SIGMA[s + 9] as number] as number)) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 8) | (v15 << 24);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 7) | (v5 << 25);
    // G(v1, v6, v11, v12)
    v1 = (v1 + v6 + (M[SIGMA[s + 10] as number] as number)) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 16) | (v12 << 16);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 12) | (v6 << 20);
    v1 = (v1 + v6 + (M[SIGMA[s + 11] as number] as number)) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 8) | (v12 << 24);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 7) | (v6 << 25);
    // G(v2, v7, v8, v13)
    v2 = (v2 + v7 + (M[SIGMA[s + 12] as number] as number)) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 16) | (v13 << 16);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 12) | (v7 << 20);
    v2 = (v2 + v7 + (M[SIGMA[s + 13] as number] as number)) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 8) | (v13 << 24);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 7) | (v7 << 25);
    // G(v3, v4, v9, v14)
    v3 = (v3 + v4 + (M[SIGMA[s + 14] as number] as number)) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 16) | (v14 << 16);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 12) | (v4 << 20);
    v3 = (v3 + v4 + (M[SIGMA[s + 15] as number] as number)) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 8) | (v14 << 24);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 7) | (v4 << 25);
  }
  h[0] = (h[0] as number) ^ v0 ^ v8;
  h[1] = (h[1] as number) ^ v1 ^ v9;
  h[2] = (h[2] as number) ^ v2 ^ v10;
  h[3] = (h[3] as number) ^ v3 ^ v11;
  h[4] = (h[4] as number) ^ v4 ^ v12;
  h[5] = (h[5] as number) ^ v5 ^ v13;
  h[6] = (h[6] as number) ^ v6 ^ v14;
  h[7] = (h[7] as number) ^ v7 ^ v15;
}
