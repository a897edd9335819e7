import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts";

/** Byte offsets shared by ICMPv4 and ICMPv6 headers. */
export const ICMP_FIELD = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  REST: 4,
  ECHO_ID: 4,
  ECHO_SEQ: 6,
} as const;

/** Type, code, checksum and the 4-byte rest of header. */
export const ICMP_HEADER_LEN = 8;

/**
 * The header both ICMP versions share: type, code, checksum, the 4 type-specific bytes (an
 * echo's identifier and sequence number), and the payload after them. The family's view adds
 * which types are echoes and errors, and what an error embeds.
 */
export abstract class IcmpHeaderView {
  protected constructor(readonly bytes: Uint8Array) {}

  /** Whether this is an echo request or reply, which carry an identifier and a sequence number. */
  abstract get isEcho(): boolean;

  /** Whether this is an error message that embeds the packet that caused it. */
  abstract get isError(): boolean;

  get type(): number {
    return this.bytes[0] ?? 0;
  }

  set type(type: number) {
    this.bytes[0] = type;
  }

  get code(): number {
    return this.bytes[1] ?? 0;
  }

  set code(code: number) {
    this.bytes[1] = code;
  }

  get checksum(): number {
    return readU16(this.bytes, ICMP_FIELD.CHECKSUM);
  }

  set checksum(checksum: number) {
    writeU16(this.bytes, ICMP_FIELD.CHECKSUM, checksum);
  }

  /** The 4 bytes after the checksum, whose meaning depends on the type. */
  get restOfHeader(): number {
    return readU32(this.bytes, ICMP_FIELD.REST);
  }

  set restOfHeader(rest: number) {
    writeU32(this.bytes, ICMP_FIELD.REST, rest);
  }

  /** Echo identifier (meaningful when `isEcho`). */
  get echoId(): number {
    return readU16(this.bytes, ICMP_FIELD.ECHO_ID);
  }

  set echoId(id: number) {
    writeU16(this.bytes, ICMP_FIELD.ECHO_ID, id);
  }

  /** Echo sequence number (meaningful when `isEcho`). */
  get echoSeq(): number {
    return readU16(this.bytes, ICMP_FIELD.ECHO_SEQ);
  }

  set echoSeq(seq: number) {
    writeU16(this.bytes, ICMP_FIELD.ECHO_SEQ, seq);
  }

  /** Everything after the 8-byte header. */
  payload(): Uint8Array {
    return this.bytes.subarray(ICMP_HEADER_LEN);
  }
}
