/**
 * The `@fz/wireguard/native` entry: AEAD selection and the native (bun:ffi) backends, kept out
 * of the main entry so the sans-IO core never loads bun:ffi. The shell picks a backend here and
 * hands it to the core as an AeadBackend.
 */
export {
  NativeAeadCallError,
  type NativeAeadUnavailable,
  NativeAeadUnavailableError,
} from "./errors.ts";
export {
  loadNativeAead,
  loadNativeAeadFrom,
  NATIVE_PREFERENCE,
  type NativeLibraryFiles,
} from "./native.ts";
export { NATIVE_LIBRARIES, type NativeLibrary } from "./native-library.ts";
export { loadNativeX25519, OpenSslX25519 } from "./native-x25519.ts";
export { type AeadSelection, type AeadSetting, selectAead } from "./select.ts";
