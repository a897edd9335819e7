import type { AeadBackend } from "./aead.ts";
import { NativeAeadUnavailableError } from "./errors.ts";
import { loadNativeAead, loadNativeAeadFrom, type NativeLibraryFiles } from "./native.ts";
import { nobleAead } from "./noble.ts";

/** How the shell asks for an AEAD backend (for example from a `--aead` flag). */
export type AeadSetting = "auto" | "noble" | "native" | "openssl" | "libsodium";

/** What `selectAead` chose, and why it fell back to noble when it did. */
export interface AeadSelection {
  backend: AeadBackend;
  fallbackReason?: string;
}

/**
 * Picks the data-path AEAD. "auto": the fastest native library that loads, else noble with
 * `fallbackReason`. "native": the fastest native library, or throw. "openssl" / "libsodium":
 * exactly that library, or throw. "noble": always noble. Throws NativeAeadUnavailableError,
 * whose message names the missing library and the package that provides it. `files` overrides
 * where the libraries are looked for.
 */
export function selectAead(setting: AeadSetting, files?: NativeLibraryFiles): AeadSelection {
  switch (setting) {
    case "noble":
      return { backend: nobleAead };
    case "auto": {
      const native = loadNativeAead(undefined, files);
      if (native instanceof NativeAeadUnavailableError) {
        return { backend: nobleAead, fallbackReason: native.message };
      }
      return { backend: native };
    }
    case "native":
      return { backend: orThrow(loadNativeAead(undefined, files)) };
    case "openssl":
    case "libsodium":
      return { backend: orThrow(loadNativeAeadFrom(setting, files?.[setting])) };
  }
}

function orThrow(loaded: AeadBackend | NativeAeadUnavailableError): AeadBackend {
  if (loaded instanceof NativeAeadUnavailableError) throw loaded;
  return loaded;
}
