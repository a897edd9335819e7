import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { AEAD_TAG_BYTES } from "./aead.ts";
import { NativeAeadCallError } from "./errors.ts";
import { PointerAead } from "./native-pointer-aead.ts";

/**
 * ChaCha20-Poly1305 from OpenSSL 3's libcrypto through its EVP interface. One EVP_CIPHER_CTX per
 * backend object, set to the cipher once and re-initialised with key, nonce and direction per
 * packet. Buffers go to C as `ptr()` addresses; the out-length word and an empty-input stand-in
 * are scratch owned by the object, so a packet allocates nothing. OpenSSL decrypts before the
 * tag is checked, so a failed open zeroes what it wrote. `out` may be exactly the input's
 * memory; OpenSSL refuses partially overlapping buffers.
 */
export class OpenSslAead extends PointerAead {
  readonly name = "openssl";
  readonly #lib: OpenSslSymbols;
  readonly #ctx: Pointer;
  readonly #outLength = new Int32Array(new ArrayBuffer(8));
  readonly #outLengthPtr = ptr(this.#outLength);

  /** Opens libcrypto (throws when it is missing) and allocates the cipher context. */
  constructor(file: string) {
    super();
    this.#lib = symbolsFor(file);
    const ctx = this.#lib.EVP_CIPHER_CTX_new();
    if (typeof ctx !== "number" || ctx === 0)
      throw new NativeAeadCallError("openssl", "EVP_CIPHER_CTX_new");
    this.#ctx = ctx;
    contexts.register(this, { lib: this.#lib, ctx });
    const cipher = this.#lib.EVP_chacha20_poly1305();
    if (this.#lib.EVP_CipherInit_ex(ctx, cipher, null, null, null, 1) !== 1) {
      throw new NativeAeadCallError("openssl", "EVP_CipherInit_ex(EVP_chacha20_poly1305)");
    }
  }

  protected sealPointers(
    key: Uint8Array,
    nonce: Uint8Array,
    input: Pointer,
    length: number,
    ad: Uint8Array,
    output: Pointer,
  ): number {
    const lib = this.#lib;
    const ctx = this.#ctx;
    const tagPtr = (output + length) as Pointer;
    if (
      lib.EVP_CipherInit_ex(ctx, null, null, ptr(key), ptr(nonce), 1) !== 1 ||
      (ad.length > 0 &&
        lib.EVP_CipherUpdate(ctx, null, this.#outLengthPtr, ptr(ad), ad.length) !== 1) ||
      (length > 0 && lib.EVP_CipherUpdate(ctx, output, this.#outLengthPtr, input, length) !== 1) ||
      lib.EVP_CipherFinal_ex(ctx, tagPtr, this.#outLengthPtr) !== 1 ||
      lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_BYTES, tagPtr) !== 1
    ) {
      lib.ERR_clear_error();
      throw new NativeAeadCallError("openssl", "sealing");
    }
    return length + AEAD_TAG_BYTES;
  }

  protected openPointers(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Pointer,
    length: number,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    const lib = this.#lib;
    const ctx = this.#ctx;
    const outPtr = out.length === 0 ? this.emptyPointer : ptr(out);
    if (
      lib.EVP_CipherInit_ex(ctx, null, null, ptr(key), ptr(nonce), 0) === 1 &&
      lib.EVP_CIPHER_CTX_ctrl(
        ctx,
        EVP_CTRL_AEAD_SET_TAG,
        AEAD_TAG_BYTES,
        (sealed + length) as Pointer,
      ) === 1 &&
      (ad.length === 0 ||
        lib.EVP_CipherUpdate(ctx, null, this.#outLengthPtr, ptr(ad), ad.length) === 1) &&
      (length === 0 ||
        lib.EVP_CipherUpdate(ctx, outPtr, this.#outLengthPtr, sealed, length) === 1) &&
      lib.EVP_CipherFinal_ex(ctx, (outPtr + length) as Pointer, this.#outLengthPtr) === 1
    ) {
      return length;
    }
    lib.ERR_clear_error();
    out.fill(0, 0, length);
    return -1;
  }
}

const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;

const { i32, ptr: pointer, void: none } = FFIType;
const SYMBOLS = {
  EVP_CIPHER_CTX_new: { args: [], returns: pointer },
  EVP_CIPHER_CTX_free: { args: [pointer], returns: none },
  EVP_chacha20_poly1305: { args: [], returns: pointer },
  EVP_CipherInit_ex: { args: [pointer, pointer, pointer, pointer, pointer, i32], returns: i32 },
  EVP_CipherUpdate: { args: [pointer, pointer, pointer, pointer, i32], returns: i32 },
  EVP_CipherFinal_ex: { args: [pointer, pointer, pointer], returns: i32 },
  EVP_CIPHER_CTX_ctrl: { args: [pointer, i32, i32, pointer], returns: i32 },
  ERR_clear_error: { args: [], returns: none },
} as const;

type OpenSslSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

// One dlopen per file per thread: Bun compiles the call stubs once, and every backend object
// shares them.
const libraries = new Map<string, OpenSslSymbols>();
const contexts = new FinalizationRegistry<{ lib: OpenSslSymbols; ctx: Pointer }>(({ lib, ctx }) =>
  lib.EVP_CIPHER_CTX_free(ctx),
);

function symbolsFor(file: string): OpenSslSymbols {
  let symbols = libraries.get(file);
  if (symbols === undefined) {
    symbols = dlopen(file, SYMBOLS).symbols;
    libraries.set(file, symbols);
  }
  return symbols;
}
