/**
 * Transport messages (type 4): the header, padding and sealing on the way out, and the inner
 * IP packet's real length on the way in. Everything works in caller-supplied buffers; nothing
 * here allocates packet memory.
 */
import type { AeadBackend } from "./aead/aead.ts";
import { AEAD_TAG_BYTES } from "./aead/aead.ts";
import { writeU32LE, writeU64LE } from "./bytes.ts";
import { PADDING_MULTIPLE } from "./constants.ts";
import type { Keypair } from "./keypair.ts";
import { MessageType, TRANSPORT_HEADER_BYTES, Transport } from "./messages.ts";

/** Zero bytes added to a plaintext of `length` bytes: up to a multiple of 16, capped at the MTU. */
export function paddingFor(length: number, mtu: number): number {
  let last = length;
  if (mtu > 0 && last > mtu) last %= mtu;
  const rounded = (last + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1);
  return (mtu > 0 ? Math.min(rounded, mtu) : rounded) - last;
}

/** The size of the transport message that carries `length` bytes of plaintext. */
export function sealedSize(length: number, mtu: number): number {
  return TRANSPORT_HEADER_BYTES + length + paddingFor(length, mtu) + AEAD_TAG_BYTES;
}

/**
 * Writes the transport message for `plaintext` into `out` under `keypair`'s send key and next
 * counter, and returns its length, or -1 when `out` is too small. `plaintext` may already sit
 * at `out[16]` (then it is sealed in place) or anywhere else, including overlapping `out`.
 */
export function sealTransport(
  aead: AeadBackend,
  keypair: Keypair,
  plaintext: Uint8Array,
  out: Uint8Array,
  mtu: number,
): number {
  const length = plaintext.length;
  const padded = length + paddingFor(length, mtu);
  const total = TRANSPORT_HEADER_BYTES + padded + AEAD_TAG_BYTES;
  if (out.length < total) return -1;
  const inPlace =
    plaintext.byteOffset === out.byteOffset + TRANSPORT_HEADER_BYTES &&
    plaintext.buffer === out.buffer;
  if (!inPlace) out.set(plaintext, TRANSPORT_HEADER_BYTES);
  if (padded > length)
    out.fill(0, TRANSPORT_HEADER_BYTES + length, TRANSPORT_HEADER_BYTES + padded);
  const counter = keypair.sendCounter++;
  out[0] = MessageType.Transport;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  writeU32LE(out, Transport.RECEIVER, keypair.remoteIndex);
  writeU64LE(out, Transport.COUNTER, counter);
  aead.sealInPlace(keypair.sendKey, counter, out, TRANSPORT_HEADER_BYTES, padded);
  return total;
}

const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;

/**
 * The length of the IP packet at the start of a decrypted plaintext of `length` bytes, from
 * its header's length field (the padding after it is dropped), or -1 when the plaintext does
 * not start with an IPv4 or IPv6 header whose length fits.
 */
export function innerPacketLength(plaintext: Uint8Array, length: number): number {
  const version = (plaintext[0] ?? 0) >>> 4;
  if (version === 4) {
    if (length < IPV4_HEADER_BYTES) return -1;
    const total = ((plaintext[2] ?? 0) << 8) | (plaintext[3] ?? 0);
    return total > length || total < IPV4_HEADER_BYTES ? -1 : total;
  }
  if (version === 6) {
    if (length < IPV6_HEADER_BYTES) return -1;
    const total = (((plaintext[4] ?? 0) << 8) | (plaintext[5] ?? 0)) + IPV6_HEADER_BYTES;
    return total > length ? -1 : total;
  }
  return -1;
}
