/**
 * WireGuard's key text: 32 bytes as 44 characters of standard base64 with one `=`, the format
 * `wg genkey`, `wg pubkey` and wg-quick configs use. Decoding is strict, like wireguard-tools:
 * exactly 44 characters (trim whitespace first) and the canonical last character.
 */

/** Encodes a 32-byte key as `wg` prints it. */
export function encodeKey(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) {
    throw new RangeError(`a WireGuard key is ${KEY_BYTES} bytes, got ${key.length}`);
  }
  let binary = "";
  for (let i = 0; i < key.length; i++) binary += String.fromCharCode(key[i] as number);
  return btoa(binary);
}

/** Decodes a key printed by `wg`, or returns a KeyFormatError saying what is wrong with it. */
export function decodeKey(text: string): Uint8Array | KeyFormatError {
  if (text.length !== KEY_TEXT_LENGTH) {
    return new KeyFormatError(`it is ${text.length} characters long`);
  }
  if (!KEY_TEXT.test(text)) {
    return new KeyFormatError("it has characters outside standard base64 or lacks the final '='");
  }
  if (!CANONICAL_LAST.test(text.charAt(42))) {
    return new KeyFormatError("its last character before '=' sets bits beyond the 32 bytes");
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Text that is not a WireGuard key; returned by `decodeKey`, not thrown. */
export class KeyFormatError extends Error {
  readonly _tag = "KeyFormatError";

  constructor(reason: string) {
    super(
      `not a WireGuard key: ${reason}; expected 44 characters of standard base64 ending in '=', as \`wg genkey\` prints`,
    );
    this.name = "KeyFormatError";
  }
}

export const KEY_BYTES = 32;
export const KEY_TEXT_LENGTH = 44;

const KEY_TEXT = /^[A-Za-z0-9+/]{43}=$/;
// The 43rd character carries the last 4 bits of the key and 2 padding bits, which must be zero.
const CANONICAL_LAST = /^[AEIMQUYcgkosw048]$/;
