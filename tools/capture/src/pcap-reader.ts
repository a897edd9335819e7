/**
 * Reads classic libpcap files (not pcapng): either byte order, microsecond or nanosecond
 * timestamps. Records are views into the given bytes, not copies.
 */
import { PcapFormatError } from "./errors.ts";

export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch. */
  readonly timestampNs: bigint;
  /** Length of the packet on the wire; larger than `data` when the snaplen cut it. */
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface PcapFile {
  readonly linkType: number;
  readonly snaplen: number;
  readonly littleEndian: boolean;
  readonly nanosecondTimestamps: boolean;
  readonly records: readonly PcapRecord[];
}

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** Parses a whole classic pcap file; throws PcapFormatError on anything malformed. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.byteLength < GLOBAL_HEADER_BYTES) {
    throw new PcapFormatError(
      `a pcap file starts with a ${GLOBAL_HEADER_BYTES}-byte header, got ${bytes.byteLength} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { littleEndian, nanosecondTimestamps } = byteOrderOf(view.getUint32(0, false));
  const snaplen = view.getUint32(16, littleEndian);
  const linkType = view.getUint32(20, littleEndian) & 0x0fffffff; // top bits carry FCS flags
  const records: PcapRecord[] = [];
  let offset = GLOBAL_HEADER_BYTES;
  while (offset < bytes.byteLength) {
    if (offset + RECORD_HEADER_BYTES > bytes.byteLength) {
      throw new PcapFormatError(`record header at byte ${offset} runs past the end of the file`);
    }
    const seconds = view.getUint32(offset, littleEndian);
    const fraction = view.getUint32(offset + 4, littleEndian);
    const includedLength = view.getUint32(offset + 8, littleEndian);
    const originalLength = view.getUint32(offset + 12, littleEndian);
    const start = offset + RECORD_HEADER_BYTES;
    if (start + includedLength > bytes.byteLength) {
      throw new PcapFormatError(
        `record at byte ${offset} claims ${includedLength} bytes but only ${bytes.byteLength - start} remain`,
      );
    }
    records.push({
      timestampNs:
        BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * (nanosecondTimestamps ? 1n : 1000n),
      originalLength,
      data: bytes.subarray(start, start + includedLength),
    });
    offset = start + includedLength;
  }
  return { linkType, snaplen, littleEndian, nanosecondTimestamps, records };
}

function byteOrderOf(magicBigEndian: number): {
  littleEndian: boolean;
  nanosecondTimestamps: boolean;
} {
  switch (magicBigEndian) {
    case MAGIC_MICROSECONDS:
      return { littleEndian: false, nanosecondTimestamps: false };
    case MAGIC_NANOSECONDS:
      return { littleEndian: false, nanosecondTimestamps: true };
    case swap32(MAGIC_MICROSECONDS):
      return { littleEndian: true, nanosecondTimestamps: false };
    case swap32(MAGIC_NANOSECONDS):
      return { littleEndian: true, nanosecondTimestamps: true };
    case MAGIC_PCAPNG:
      throw new PcapFormatError(
        "this is a pcapng file; write classic pcap instead (tcpdump -w does; with tshark/dumpcap pass -F pcap)",
      );
    default:
      throw new PcapFormatError(
        `unknown pcap magic 0x${magicBigEndian.toString(16).padStart(8, "0")}`,
      );
  }
}

function swap32(value: number): number {
  return (
    (((value & 0xff) << 24) |
      ((value & 0xff00) << 8) |
      ((value >>> 8) & 0xff00) |
      (value >>> 24)) >>>
    0
  );
}
