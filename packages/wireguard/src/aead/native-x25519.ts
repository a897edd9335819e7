import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { equalBytes, isZero } from "../bytes.ts";
import { checkKeyLength, type DiffieHellman, generateClampedKey } from "../crypto/x25519.ts";
import { passesRfc7748 } from "../crypto/x25519-default.ts";
import { NATIVE_LIBRARIES } from "./native-library.ts";

/**
 * X25519 from OpenSSL 3's libcrypto (EVP_PKEY), the library the native AEAD already loaded, so
 * a process that seals with OpenSSL needs neither node:crypto nor @noble/curves for its
 * handshakes (each costs megabytes of resident memory on first use). The private key's
 * EVP_PKEY is kept per key array, as node:crypto's KeyObject is in `nodeX25519`.
 */
export class OpenSslX25519 implements DiffieHellman {
  readonly name = "openssl";
  readonly #lib: Symbols;
  readonly #length = new BigUint64Array(new ArrayBuffer(8));
  readonly #lengthPtr = ptr(this.#length);
  readonly #keys = new WeakMap<Uint8Array, { bytes: Uint8Array; pkey: Pointer }>();

  constructor(file: string) {
    this.#lib = dlopen(file, SYMBOLS).symbols;
  }

  generatePrivateKey(random: (into: Uint8Array) => void): Uint8Array {
    return generateClampedKey(random);
  }

  publicKey(privateKey: Uint8Array): Uint8Array {
    const pkey = this.#privateKey(privateKey);
    const out = new Uint8Array(32);
    this.#length[0] = 32n;
    if (this.#lib.EVP_PKEY_get_raw_public_key(pkey, ptr(out), this.#lengthPtr) !== 1) {
      throw new Error("EVP_PKEY_get_raw_public_key failed");
    }
    return out;
  }

  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
    const pkey = this.#privateKey(privateKey);
    checkKeyLength("public key", publicKey);
    const lib = this.#lib;
    const peer = lib.EVP_PKEY_new_raw_public_key(X25519, null, ptr(publicKey), 32);
    if (typeof peer !== "number") return undefined;
    const ctx = lib.EVP_PKEY_CTX_new(pkey, null);
    const out = new Uint8Array(32);
    let ok = false;
    if (ctx !== null) {
      this.#length[0] = 32n;
      // OpenSSL refuses to derive an all-zero secret (a low-order public key).
      ok =
        lib.EVP_PKEY_derive_init(ctx) === 1 &&
        lib.EVP_PKEY_derive_set_peer(ctx, peer) === 1 &&
        lib.EVP_PKEY_derive(ctx, ptr(out), this.#lengthPtr) === 1;
      lib.EVP_PKEY_CTX_free(ctx);
    }
    lib.EVP_PKEY_free(peer);
    lib.ERR_clear_error();
    return ok && !isZero(out) ? out : undefined;
  }

  #privateKey(privateKey: Uint8Array): Pointer {
    checkKeyLength("private key", privateKey);
    const cached = this.#keys.get(privateKey);
    if (cached !== undefined && equalBytes(cached.bytes, privateKey)) return cached.pkey;
    const pkey = this.#lib.EVP_PKEY_new_raw_private_key(X25519, null, ptr(privateKey), 32);
    if (typeof pkey !== "number") throw new Error("EVP_PKEY_new_raw_private_key failed");
    if (cached !== undefined) {
      // The key array was changed in place: free its old EVP_PKEY now, not again at collection.
      keys.unregister(cached);
      this.#lib.EVP_PKEY_free(cached.pkey);
    }
    const entry = { bytes: privateKey.slice(), pkey };
    this.#keys.set(privateKey, entry);
    keys.register(privateKey, { lib: this.#lib, pkey }, entry);
    return pkey;
  }
}

const X25519 = 1034; // NID_X25519 / EVP_PKEY_X25519

const { i32, ptr: pointer, u64, void: none } = FFIType;
const SYMBOLS = {
  EVP_PKEY_new_raw_private_key: { args: [i32, pointer, pointer, u64], returns: pointer },
  EVP_PKEY_new_raw_public_key: { args: [i32, pointer, pointer, u64], returns: pointer },
  EVP_PKEY_get_raw_public_key: { args: [pointer, pointer, pointer], returns: i32 },
  EVP_PKEY_CTX_new: { args: [pointer, pointer], returns: pointer },
  EVP_PKEY_derive_init: { args: [pointer], returns: i32 },
  EVP_PKEY_derive_set_peer: { args: [pointer, pointer], returns: i32 },
  EVP_PKEY_derive: { args: [pointer, pointer, pointer], returns: i32 },
  EVP_PKEY_CTX_free: { args: [pointer], returns: none },
  EVP_PKEY_free: { args: [pointer], returns: none },
  ERR_clear_error: { args: [], returns: none },
} as const;

type Symbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

const keys = new FinalizationRegistry<{ lib: Symbols; pkey: Pointer }>(({ lib, pkey }) =>
  lib.EVP_PKEY_free(pkey),
);

/**
 * X25519 from libcrypto when it loads and reproduces RFC 7748's vectors here; otherwise
 * undefined, and the core keeps its default (node:crypto, else @noble/curves).
 */
export function loadNativeX25519(
  files: readonly string[] = NATIVE_LIBRARIES.openssl.files,
): DiffieHellman | undefined {
  for (const file of files) {
    try {
      const dh = new OpenSslX25519(file);
      if (passesRfc7748(dh)) return dh;
    } catch {
      // Not this file; try the next.
    }
  }
  return undefined;
}
