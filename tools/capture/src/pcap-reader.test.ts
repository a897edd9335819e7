import { describe, expect, test } from "bun:test";
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, PcapFormatError, readPcap } from "@fz/capture";

interface RecordSpec {
  seconds: number;
  fraction: number;
  data: number[];
  originalLength?: number;
}

/** A classic pcap file written field by field, independently of the reader. */
function pcapBytes(options: {
  littleEndian: boolean;
  nanoseconds?: boolean;
  linkType: number;
  snaplen?: number;
  records: RecordSpec[];
}): Uint8Array {
  const size = 24 + options.records.reduce((sum, r) => sum + 16 + r.data.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const le = options.littleEndian;
  view.setUint32(0, options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, options.snaplen ?? 262144, le);
  view.setUint32(20, options.linkType, le);
  let offset = 24;
  for (const record of options.records) {
    view.setUint32(offset, record.seconds, le);
    view.setUint32(offset + 4, record.fraction, le);
    view.setUint32(offset + 8, record.data.length, le);
    view.setUint32(offset + 12, record.originalLength ?? record.data.length, le);
    bytes.set(record.data, offset + 16);
    offset += 16 + record.data.length;
  }
  return bytes;
}

const records: RecordSpec[] = [
  { seconds: 1_700_000_000, fraction: 123_456, data: [1, 2, 3, 4, 5] },
  { seconds: 1_700_000_001, fraction: 7, data: [], originalLength: 60 },
  { seconds: 0xfffffffe, fraction: 999_999, data: [0xff, 0x00] },
];

describe("readPcap", () => {
  for (const littleEndian of [true, false]) {
    test(`reads a ${littleEndian ? "little" : "big"}-endian file with microsecond timestamps`, () => {
      const pcap = readPcap(
        pcapBytes({ littleEndian, linkType: LINKTYPE_ETHERNET, snaplen: 65535, records }),
      );
      expect(pcap.littleEndian).toBe(littleEndian);
      expect(pcap.nanosecondTimestamps).toBe(false);
      expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
      expect(pcap.snaplen).toBe(65535);
      expect(pcap.records.map((r) => [...r.data])).toEqual([[1, 2, 3, 4, 5], [], [0xff, 0x00]]);
      expect(pcap.records.map((r) => r.originalLength)).toEqual([5, 60, 2]);
      expect(pcap.records.map((r) => r.timestampNs)).toEqual([
        1_700_000_000_123_456_000n,
        1_700_000_001_000_007_000n,
        0xfffffffen * 1_000_000_000n + 999_999_000n,
      ]);
    });
  }

  test("reads nanosecond timestamps in either byte order", () => {
    for (const littleEndian of [true, false]) {
      const pcap = readPcap(
        pcapBytes({ littleEndian, nanoseconds: true, linkType: LINKTYPE_LINUX_SLL2, records }),
      );
      expect(pcap.nanosecondTimestamps).toBe(true);
      expect(pcap.linkType).toBe(LINKTYPE_LINUX_SLL2);
      expect(pcap.records[0]?.timestampNs).toBe(1_700_000_000_000_123_456n);
    }
  });

  test("returns views into the file rather than copies", () => {
    const bytes = pcapBytes({ littleEndian: true, linkType: 1, records });
    const first = readPcap(bytes).records[0];
    expect(first?.data.buffer).toBe(bytes.buffer);
    expect(first?.data.byteOffset).toBe(24 + 16);
  });

  test("reads a file with a header and no records", () => {
    expect(readPcap(pcapBytes({ littleEndian: true, linkType: 1, records: [] })).records).toEqual(
      [],
    );
  });

  test("ignores the FCS bits above the link type", () => {
    const bytes = pcapBytes({ littleEndian: true, linkType: 0x10000000 | 1, records: [] });
    expect(readPcap(bytes).linkType).toBe(1);
  });

  test("rejects pcapng, unknown magics, short headers and truncated records", () => {
    const pcapng = Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Array(28).fill(0));
    expect(() => readPcap(pcapng)).toThrow(PcapFormatError);
    expect(() => readPcap(pcapng)).toThrow("pcapng");
    expect(() => readPcap(new Uint8Array(24).fill(0x42))).toThrow("unknown pcap magic 0x42424242");
    expect(() => readPcap(new Uint8Array(10))).toThrow("24-byte header");

    const whole = pcapBytes({ littleEndian: false, linkType: 1, records });
    expect(() => readPcap(whole.subarray(0, whole.length - 1))).toThrow(
      "claims 2 bytes but only 1 remain",
    );
    expect(() => readPcap(whole.subarray(0, 24 + 16 + 5 + 8))).toThrow(
      "record header at byte 45 runs past the end",
    );
  });
});
