/**
 * WireGuard's four message layouts (whitepaper 5.4; wireguard-go `noise-protocol.go`). All
 * integers are little-endian; the type is a byte followed by three zero bytes, read as a u32.
 */

/** Message types as the u32 at offset 0. */
export const MessageType = {
  Initiation: 1,
  Response: 2,
  CookieReply: 3,
  Transport: 4,
} as const;

/** Handshake initiation: exactly 148 bytes. */
export const INITIATION_BYTES = 148;
/** Handshake response: exactly 92 bytes. */
export const RESPONSE_BYTES = 92;
/** Cookie reply: exactly 64 bytes. */
export const COOKIE_REPLY_BYTES = 64;
/** Transport header: type, receiver, counter. */
export const TRANSPORT_HEADER_BYTES = 16;
/** A transport message with an empty payload, the smallest message of all. */
export const KEEPALIVE_BYTES = 32;
/** Bytes a transport message adds to its padded plaintext: header and tag. */
export const TRANSPORT_OVERHEAD_BYTES = 32;
/** The largest message: a UDP payload. */
export const MAX_MESSAGE_BYTES = 65_535;

/** Field offsets of the initiation. */
export const Initiation = {
  SENDER: 4,
  EPHEMERAL: 8,
  STATIC: 40,
  TIMESTAMP: 88,
  MAC1: 116,
  MAC2: 132,
} as const;

/** Field offsets of the response. */
export const Response = {
  SENDER: 4,
  RECEIVER: 8,
  EPHEMERAL: 12,
  EMPTY: 44,
  MAC1: 60,
  MAC2: 76,
} as const;

/** Field offsets of the cookie reply. */
export const CookieReply = {
  RECEIVER: 4,
  NONCE: 8,
  COOKIE: 32,
} as const;

/** Field offsets of the transport message. */
export const Transport = {
  RECEIVER: 4,
  COUNTER: 8,
} as const;

/** Sizes of the sealed fields. */
export const SEALED_STATIC_BYTES = 48;
export const SEALED_TIMESTAMP_BYTES = 28;
export const SEALED_EMPTY_BYTES = 16;
export const MAC_BYTES = 16;
export const COOKIE_NONCE_BYTES = 24;
