import { type DiffieHellman, nobleX25519 } from "./x25519.ts";
import { nodeX25519 } from "./x25519-node.ts";

/**
 * Returns the first of `candidates` (fastest first) that reproduces RFC 7748's vectors and
 * rejects a low-order point here, or the last candidate when none does.
 */
export function pickDiffieHellman(candidates: readonly DiffieHellman[]): DiffieHellman {
  const last = candidates.at(-1);
  if (last === undefined) throw new RangeError("pickDiffieHellman needs at least one candidate");
  return candidates.find(passesRfc7748) ?? last;
}

/** Checks RFC 7748 section 5.2 (first vector) and 6.1, and the all-zero rejection. */
export function passesRfc7748(dh: DiffieHellman): boolean {
  try {
    return (
      hex(dh.sharedSecret(bytes(SCALAR_5_2), bytes(U_5_2))) === OUT_5_2 &&
      hex(dh.publicKey(bytes(ALICE_PRIVATE))) === ALICE_PUBLIC &&
      hex(dh.sharedSecret(bytes(ALICE_PRIVATE), bytes(BOB_PUBLIC))) === SHARED &&
      dh.sharedSecret(bytes(ALICE_PRIVATE), new Uint8Array(32)) === undefined
    );
  } catch {
    return false;
  }
}

const SCALAR_5_2 = "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4";
const U_5_2 = "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c";
const OUT_5_2 = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552";
const ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

function bytes(hexText: string): Uint8Array {
  return Uint8Array.from(hexText.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function hex(value: Uint8Array | undefined): string {
  return value === undefined
    ? ""
    : Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
}

let picked: DiffieHellman | undefined;

function pickDefault(): DiffieHellman {
  picked ??= pickDiffieHellman([nodeX25519, nobleX25519]);
  return picked;
}

/**
 * X25519 for the handshake: node:crypto where it passes the vectors, else @noble/curves. It
 * chooses (running the vectors) on first use, so a shell that hands the core another
 * DiffieHellman never loads either.
 */
export const defaultDiffieHellman: DiffieHellman = {
  get name() {
    return pickDefault().name;
  },
  generatePrivateKey: (random) => pickDefault().generatePrivateKey(random),
  publicKey: (privateKey) => pickDefault().publicKey(privateKey),
  sharedSecret: (privateKey, publicKey) => pickDefault().sharedSecret(privateKey, publicKey),
};
