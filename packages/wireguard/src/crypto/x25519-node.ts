import type { KeyObject } from "node:crypto";
import { equalBytes, isZero } from "../bytes.ts";
import {
  checkKeyLength,
  type DiffieHellman,
  generateClampedKey,
  X25519_KEY_BYTES,
} from "./x25519.ts";

let loaded: typeof import("node:crypto") | undefined;

/** node:crypto on first use: loading and initialising it costs megabytes a process may not need. */
function nodeCrypto(): typeof import("node:crypto") {
  loaded ??= require("node:crypto") as typeof import("node:crypto");
  return loaded;
}

/**
 * X25519 through node:crypto (BoringSSL in Bun), about 10x faster than @noble/curves. Raw keys
 * become KeyObjects through DER (PKCS#8 and SPKI with the X25519 OID). Importing a private key
 * costs about half a scalar multiplication, because it derives the public key, so each private
 * key's KeyObject is cached on the key's Uint8Array (a WeakMap, checked against a copy of the
 * bytes so a key changed in place is imported again). Public keys import in under a microsecond.
 */
export const nodeX25519: DiffieHellman = {
  name: "node",
  generatePrivateKey: (random) => generateClampedKey(random),
  publicKey(privateKey) {
    const entry = privateKeyEntry(privateKey);
    if (entry.publicKey === undefined) {
      const spki = nodeCrypto()
        .createPublicKey(entry.keyObject)
        .export({ format: "der", type: "spki" });
      entry.publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
    }
    return entry.publicKey.slice();
  },
  sharedSecret(privateKey, publicKey) {
    const entry = privateKeyEntry(privateKey);
    checkKeyLength("public key", publicKey);
    spki.set(publicKey, SPKI_PREFIX.length);
    const peer = nodeCrypto().createPublicKey({ key: spki, format: "der", type: "spki" });
    let shared: Uint8Array;
    try {
      shared = nodeCrypto().diffieHellman({ privateKey: entry.keyObject, publicKey: peer });
    } catch {
      // BoringSSL fails the operation exactly when the result is all zeros (a low-order point).
      return undefined;
    }
    const secret = new Uint8Array(shared);
    shared.fill(0);
    return isZero(secret) ? undefined : secret;
  },
};

interface PrivateKeyEntry {
  readonly bytes: Uint8Array;
  readonly keyObject: KeyObject;
  publicKey: Uint8Array | undefined;
}

// RFC 8410 encodings of an X25519 key (OID 1.3.101.110) with the 32 raw bytes appended.
const PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);
const SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);
const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + X25519_KEY_BYTES);
pkcs8.set(PKCS8_PREFIX);
const spki = new Uint8Array(SPKI_PREFIX.length + X25519_KEY_BYTES);
spki.set(SPKI_PREFIX);
const privateKeys = new WeakMap<Uint8Array, PrivateKeyEntry>();

function privateKeyEntry(privateKey: Uint8Array): PrivateKeyEntry {
  checkKeyLength("private key", privateKey);
  const cached = privateKeys.get(privateKey);
  if (cached !== undefined && equalBytes(cached.bytes, privateKey)) return cached;
  pkcs8.set(privateKey, PKCS8_PREFIX.length);
  const keyObject = nodeCrypto().createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  pkcs8.fill(0, PKCS8_PREFIX.length);
  const entry: PrivateKeyEntry = { bytes: privateKey.slice(), keyObject, publicKey: undefined };
  privateKeys.set(privateKey, entry);
  return entry;
}
