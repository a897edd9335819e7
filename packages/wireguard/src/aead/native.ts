import { equalBytes } from "../bytes.ts";
import { AEAD_TAG_BYTES, type AeadPrimitive } from "./aead.ts";
import { type NativeAeadUnavailable, NativeAeadUnavailableError } from "./errors.ts";
import { NATIVE_LIBRARIES, type NativeLibrary } from "./native-library.ts";
import { LibsodiumAead } from "./native-libsodium.ts";
import { OpenSslAead } from "./native-openssl.ts";
import { nobleAead } from "./noble.ts";

/**
 * Loads a native ChaCha20-Poly1305 backend through bun:ffi: `prefer` first, then the other
 * library; without `prefer`, the faster one measured here (OpenSSL) first. Returns a
 * NativeAeadUnavailable value instead of throwing when no library loads or passes the
 * known-answer self-test. Each call makes a new backend object (its own cipher context and
 * scratch buffers); make one per thread and reuse it.
 */
export function loadNativeAead(
  prefer?: NativeLibrary,
  files?: NativeLibraryFiles,
): AeadPrimitive | NativeAeadUnavailable {
  const order =
    prefer === undefined
      ? NATIVE_PREFERENCE
      : [prefer, ...NATIVE_PREFERENCE.filter((library) => library !== prefer)];
  const failures: string[] = [];
  let lastCause: unknown;
  for (const library of order) {
    const loaded = loadNativeAeadFrom(library, files?.[library]);
    if (!(loaded instanceof NativeAeadUnavailableError)) return loaded;
    failures.push(loaded.reason);
    lastCause = loaded.cause;
  }
  return new NativeAeadUnavailableError(order, failures.join("; "), lastCause);
}

/** Loads the backend of exactly `library`, or says why it cannot. */
export function loadNativeAeadFrom(
  library: NativeLibrary,
  files: readonly string[] = NATIVE_LIBRARIES[library].files,
): AeadPrimitive | NativeAeadUnavailable {
  const { install } = NATIVE_LIBRARIES[library];
  let cause: unknown;
  for (const file of files) {
    let backend: AeadPrimitive;
    try {
      backend = library === "openssl" ? new OpenSslAead(file) : new LibsodiumAead(file);
    } catch (error) {
      cause = error;
      continue;
    }
    if (passesSelfTest(backend)) return backend;
    return new NativeAeadUnavailableError(
      [library],
      `${library} (${file}) loaded but its ChaCha20-Poly1305 disagreed with @noble/ciphers in the self-test; ${install} from your distribution`,
    );
  }
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new NativeAeadUnavailableError(
    [library],
    `${library} could not be loaded from ${files.join(" or ")}${detail}; ${install}`,
    cause,
  );
}

/** dlopen names to try per library instead of the defaults (a path works too). */
export type NativeLibraryFiles = Partial<Record<NativeLibrary, readonly string[]>>;

/** Native libraries in order of measured speed on 1280-byte packets (README.crypto.md). */
export const NATIVE_PREFERENCE: readonly NativeLibrary[] = ["openssl", "libsodium"];

// Sealed by the native library and by @noble/ciphers, the two must agree byte for byte, open,
// and reject a flipped bit: proves the symbols, the argument order and the nonce layout.
const SELF_TEST = {
  key: Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  counter: 0x0123456789ab,
  plaintext: new TextEncoder().encode("WireGuard native AEAD self-test, 41 bytes"),
  ad: Uint8Array.of(0x50, 0x51, 0x52, 0x53),
};

function passesSelfTest(backend: AeadPrimitive): boolean {
  const { key, counter, plaintext, ad } = SELF_TEST;
  try {
    const sealed = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
    const reference = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
    backend.seal(key, counter, plaintext, ad, sealed);
    nobleAead.seal(key, counter, plaintext, ad, reference);
    if (!equalBytes(sealed, reference)) return false;
    const opened = new Uint8Array(plaintext.length);
    if (backend.open(key, counter, sealed, ad, opened) !== plaintext.length) return false;
    if (!equalBytes(opened, plaintext)) return false;
    sealed[0] = (sealed[0] as number) ^ 1;
    return backend.open(key, counter, sealed, ad, opened) === -1;
  } catch {
    return false;
  }
}
