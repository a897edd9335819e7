/** Wire codes of the record types this package knows, and of ANY (a question-only type). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  SVCB: 64,
  HTTPS: 65,
  ANY: 255,
} as const;

/** Record classes (RFC 1035 3.2.4, RFC 2136 for NONE). */
export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

/** Response codes, including the EDNS extended BADVERS (RFC 6891). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** Header opcodes (RFC 1035, RFC 1996 NOTIFY, RFC 2136 UPDATE). */
export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** EDNS option codes that resolvers commonly meet (IANA "DNS EDNS0 Option Codes"). */
export const EdnsOptionCode = { NSID: 3, CLIENT_SUBNET: 8, COOKIE: 10, PADDING: 12 } as const;

/** Size of the fixed message header. */
export const HEADER_BYTES = 12;
/** A record's TYPE, CLASS, TTL and RDLENGTH, after the owner name. */
export const RR_FIXED_BYTES = 10;
/** DO in the OPT record's TTL field (RFC 3225). */
export const DO_BIT = 0x8000;
/** Largest DNS message: the 16-bit length of DNS over TCP. */
export const MAX_MESSAGE_BYTES = 65535;
/** Largest name on the wire, length octets and the root label included (RFC 1035 2.3.4). */
export const MAX_NAME_BYTES = 255;
/** Largest label (RFC 1035 2.3.4). */
export const MAX_LABEL_BYTES = 63;
/** UDP payload size advertised in responses this package builds: 1280-byte MTU minus IPv6 and UDP. */
export const DEFAULT_UDP_PAYLOAD_SIZE = 1232;

/** Byte offsets inside the header. */
export const HeaderField = {
  ID: 0,
  FLAGS: 2,
  QDCOUNT: 4,
  ANCOUNT: 6,
  NSCOUNT: 8,
  ARCOUNT: 10,
} as const;

/** Bits of the header's flags word; the opcode is bits 11-14 and the rcode bits 0-3. */
export const HeaderFlag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  Z: 0x0040,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/** A compression pointer's two top bits; its other 14 bits are an offset from the message start. */
export const POINTER_TAG = 0xc0;
/** Largest offset a compression pointer can hold. */
export const MAX_POINTER_OFFSET = 0x3fff;
