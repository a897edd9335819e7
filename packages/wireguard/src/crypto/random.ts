/**
 * Where key material comes from. The core takes a `RandomSource` as a parameter so tests and the
 * simulator can make handshakes reproducible; production passes `defaultRandom`.
 */
export type RandomSource = (into: Uint8Array) => void;

/** Fills `into` from the platform CSPRNG (`crypto.getRandomValues`), 65536 bytes at a time. */
export const defaultRandom: RandomSource = (into) => {
  for (let offset = 0; offset < into.length; offset += MAX_RANDOM_CHUNK_BYTES) {
    crypto.getRandomValues(into.subarray(offset, offset + MAX_RANDOM_CHUNK_BYTES));
  }
};

/** The most Web Crypto's `getRandomValues` must accept in one call. */
export const MAX_RANDOM_CHUNK_BYTES = 65536;
