/** Why a checked view, a rewrite or a builder refused: a shared frozen value, returned, never thrown. */
export type WireErrorKind =
  /** Fewer bytes than a header or a length field needs. */
  | "truncated"
  /** The version nibble is not the one the view reads. */
  | "bad-version"
  /** A header length below its minimum (IPv4 IHL < 5, TCP data offset < 5). */
  | "bad-header-len"
  /** A length field shorter than the header it counts (IPv4 total length, UDP length). */
  | "bad-length"
  /** An IPv6 extension header out of place: hop-by-hop not first, a second fragment header. */
  | "bad-extension-header"
  /** More IPv6 extension headers than MAX_IPV6_EXTENSION_HEADERS. */
  | "too-many-extension-headers"
  /** The packet is a fragment past the first: it carries no transport header. */
  | "not-first-fragment"
  /** The transport protocol is not the one asked for. */
  | "wrong-protocol"
  /** The operation has no meaning for this protocol or message type (ports of GRE, the id of an ICMP error). */
  | "unsupported-protocol"
  /** The ICMP message is not an error, so it embeds no packet. */
  | "not-an-error"
  /** An address of the other family, or an IPv6 address that is not 16 bytes. */
  | "address-family"
  /** The output buffer cannot hold what is being built. */
  | "buffer-too-small"
  /** What is being built exceeds the size its format or Firezone allows. */
  | "too-large"
  /** RFC 1122 / RFC 4443 forbid an ICMP error about this packet (an ICMP error, a later fragment, a multicast or unspecified address). */
  | "icmp-error-not-allowed"
  /** The packet is not a Firezone p2p control packet. */
  | "not-p2p-control"
  /** A p2p control event body that is not the JSON the event type needs. */
  | "bad-event";

/** A parse or build failure: only the kind, nothing allocated. */
export interface WireError {
  readonly kind: WireErrorKind;
}

const ERRORS: { readonly [K in WireErrorKind]: WireError } = {
  truncated: Object.freeze({ kind: "truncated" }),
  "bad-version": Object.freeze({ kind: "bad-version" }),
  "bad-header-len": Object.freeze({ kind: "bad-header-len" }),
  "bad-length": Object.freeze({ kind: "bad-length" }),
  "bad-extension-header": Object.freeze({ kind: "bad-extension-header" }),
  "too-many-extension-headers": Object.freeze({ kind: "too-many-extension-headers" }),
  "not-first-fragment": Object.freeze({ kind: "not-first-fragment" }),
  "wrong-protocol": Object.freeze({ kind: "wrong-protocol" }),
  "unsupported-protocol": Object.freeze({ kind: "unsupported-protocol" }),
  "not-an-error": Object.freeze({ kind: "not-an-error" }),
  "address-family": Object.freeze({ kind: "address-family" }),
  "buffer-too-small": Object.freeze({ kind: "buffer-too-small" }),
  "too-large": Object.freeze({ kind: "too-large" }),
  "icmp-error-not-allowed": Object.freeze({ kind: "icmp-error-not-allowed" }),
  "not-p2p-control": Object.freeze({ kind: "not-p2p-control" }),
  "bad-event": Object.freeze({ kind: "bad-event" }),
};

/** Returns the shared error value of a kind. */
export function wireError(kind: WireErrorKind): WireError {
  return ERRORS[kind];
}

/** Tells an error value from a view or a built packet. */
export function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && "kind" in value;
}
