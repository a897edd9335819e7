import type { NativeLibrary } from "./native-library.ts";

/**
 * A native AEAD library that could not be used: not installed, missing a symbol, or failing
 * its known-answer self-test. `loadNativeAead` returns it as a value; `selectAead` throws it
 * when a native backend was demanded. The message names the library and the package to install.
 */
export class NativeAeadUnavailableError extends Error {
  readonly _tag = "NativeAeadUnavailableError";
  readonly kind = "unavailable";
  /** The libraries tried, in order. */
  readonly libraries: readonly NativeLibrary[];
  /** One line per library: what failed and how to fix it. */
  readonly reason: string;

  constructor(libraries: readonly NativeLibrary[], reason: string, cause?: unknown) {
    super(
      `no native ChaCha20-Poly1305 backend: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "NativeAeadUnavailableError";
    this.libraries = libraries;
    this.reason = reason;
  }
}

/** The value `loadNativeAead` returns when no native library can be used. */
export type NativeAeadUnavailable = NativeAeadUnavailableError;

/** A native library call that failed where it cannot fail with valid arguments. */
export class NativeAeadCallError extends Error {
  readonly _tag = "NativeAeadCallError";

  constructor(library: NativeLibrary, call: string) {
    super(`${library}: ${call} failed`);
    this.name = "NativeAeadCallError";
  }
}
