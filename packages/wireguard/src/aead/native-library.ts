/** The native libraries a ChaCha20-Poly1305 backend can be loaded from. */
export type NativeLibrary = "openssl" | "libsodium";

/** Where each library is looked for (dlopen names, first found wins) and how to install it. */
export const NATIVE_LIBRARIES: Readonly<
  Record<NativeLibrary, { readonly files: readonly string[]; readonly install: string }>
> = {
  openssl: {
    files: ["libcrypto.so.3"],
    install: "install libssl3 (Debian/Ubuntu: apt-get install libssl3)",
  },
  libsodium: {
    files: ["libsodium.so.23", "libsodium.so"],
    install: "install libsodium23 (Debian/Ubuntu: apt-get install libsodium23)",
  },
};
