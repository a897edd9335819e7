import {
  decodeKey,
  defaultDiffieHellman,
  defaultRandom,
  encodeKey,
  KeyFormatError,
} from "@fz/wireguard";
import type { CliOutput } from "./cli.ts";

/** `firezone keygen`: a new private key, printed as `wg genkey` prints one. */
export function keygen(io: CliOutput): number {
  io.out(`${encodeKey(defaultDiffieHellman.generatePrivateKey(defaultRandom))}\n`);
  return 0;
}

/** `firezone pubkey`: reads a private key on standard input and prints its public key, as `wg pubkey`. */
export function pubkey(stdin: string, io: CliOutput): number {
  const privateKey = decodeKey(stdin.trim());
  if (privateKey instanceof KeyFormatError) {
    io.err(`firezone pubkey: ${privateKey.message}\n`);
    return 1;
  }
  io.out(`${encodeKey(defaultDiffieHellman.publicKey(privateKey))}\n`);
  return 0;
}
