import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of a TCP segment (RFC 9293). `checked()` needs the 20-byte header, a data offset of at
 * least 5 and the options it counts; after that no accessor reads past the view.
 */
export class TcpPacket {
  private constructor(readonly bytes: Uint8Array) {}

  static checked(bytes: Uint8Array): TcpPacket | WireError {
    if (bytes.length < TCP_HEADER_LEN) return wireError("truncated");
    const headerLen = ((bytes[TCP_FIELD.DATA_OFFSET] ?? 0) >>> 4) * 4;
    if (headerLen < TCP_HEADER_LEN) return wireError("bad-header-len");
    if (headerLen > bytes.length) return wireError("truncated");
    return new TcpPacket(bytes);
  }

  static unchecked(bytes: Uint8Array): TcpPacket {
    return new TcpPacket(bytes);
  }

  get srcPort(): number {
    return readU16(this.bytes, TCP_FIELD.SRC_PORT);
  }

  set srcPort(port: number) {
    writeU16(this.bytes, TCP_FIELD.SRC_PORT, port);
  }

  get dstPort(): number {
    return readU16(this.bytes, TCP_FIELD.DST_PORT);
  }

  set dstPort(port: number) {
    writeU16(this.bytes, TCP_FIELD.DST_PORT, port);
  }

  /** Sequence number, unsigned 32-bit. */
  get seq(): number {
    return readU32(this.bytes, TCP_FIELD.SEQ);
  }

  set seq(seq: number) {
    writeU32(this.bytes, TCP_FIELD.SEQ, seq);
  }

  /** Acknowledgment number, unsigned 32-bit. */
  get ack(): number {
    return readU32(this.bytes, TCP_FIELD.ACK);
  }

  set ack(ack: number) {
    writeU32(this.bytes, TCP_FIELD.ACK, ack);
  }

  /** Header length in bytes, options included (data offset * 4). */
  get headerLen(): number {
    return ((this.bytes[TCP_FIELD.DATA_OFFSET] ?? 0) >>> 4) * 4;
  }

  set headerLen(len: number) {
    const low = (this.bytes[TCP_FIELD.DATA_OFFSET] ?? 0) & 0x0f;
    this.bytes[TCP_FIELD.DATA_OFFSET] = (((len >>> 2) & 0x0f) << 4) | low;
  }

  /** The 12 bits after the data offset: reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. */
  get flags(): number {
    return readU16(this.bytes, TCP_FIELD.DATA_OFFSET) & 0x0fff;
  }

  set flags(flags: number) {
    const high = (this.bytes[TCP_FIELD.DATA_OFFSET] ?? 0) & 0xf0;
    this.bytes[TCP_FIELD.DATA_OFFSET] = high | ((flags >>> 8) & 0x0f);
    this.bytes[TCP_FIELD.FLAGS] = flags;
  }

  get fin(): boolean {
    return (this.flags & TcpFlag.Fin) !== 0;
  }

  get syn(): boolean {
    return (this.flags & TcpFlag.Syn) !== 0;
  }

  get rst(): boolean {
    return (this.flags & TcpFlag.Rst) !== 0;
  }

  get psh(): boolean {
    return (this.flags & TcpFlag.Psh) !== 0;
  }

  get ackFlag(): boolean {
    return (this.flags & TcpFlag.Ack) !== 0;
  }

  get urg(): boolean {
    return (this.flags & TcpFlag.Urg) !== 0;
  }

  get window(): number {
    return readU16(this.bytes, TCP_FIELD.WINDOW);
  }

  set window(window: number) {
    writeU16(this.bytes, TCP_FIELD.WINDOW, window);
  }

  get checksum(): number {
    return readU16(this.bytes, TCP_FIELD.CHECKSUM);
  }

  set checksum(checksum: number) {
    writeU16(this.bytes, TCP_FIELD.CHECKSUM, checksum);
  }

  get urgentPointer(): number {
    return readU16(this.bytes, TCP_FIELD.URGENT);
  }

  set urgentPointer(pointer: number) {
    writeU16(this.bytes, TCP_FIELD.URGENT, pointer);
  }

  /** The options between the fixed header and the payload. */
  options(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LEN, this.headerLen);
  }

  /** The segment's data. */
  payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
}

/** TCP flag bits as `flags` reports them. */
export const TcpFlag = {
  Fin: 0x001,
  Syn: 0x002,
  Rst: 0x004,
  Psh: 0x008,
  Ack: 0x010,
  Urg: 0x020,
  Ece: 0x040,
  Cwr: 0x080,
  Ae: 0x100,
} as const;

/** Byte offsets of the TCP header fields. */
export const TCP_FIELD = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
} as const;

export const TCP_HEADER_LEN = 20;
