import { describe, expect, test } from "bun:test";
import {
  CaptureContentError,
  capturedPackets,
  ipPacketFixtures,
  LINKTYPE_ETHERNET,
  type PcapFile,
  type PcapRecord,
} from "@fz/capture";

const be16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const macs = [...new Array(6).fill(0x02), ...new Array(6).fill(0x04)];
const v6 = (last: number) => [0xfd, 0, 0x01, 0x98, 0, 0x18, ...new Array(9).fill(0), last];

const echo4 = [
  0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1,
];
const echo6 = [0x60, 0, 0, 0, ...be16(8), 58, 64, ...v6(1), ...v6(2), 128, 0, 0, 0, 0, 1, 0, 1];
const neighbourSolicitation = [
  0x60,
  0,
  0,
  0,
  ...be16(8),
  58,
  255,
  ...v6(1),
  ...v6(2),
  135,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
];
const arp = new Array(28).fill(0);

const frame = (etherType: number, payload: number[]) =>
  Uint8Array.from([...macs, ...be16(etherType), ...payload]);
const record = (data: Uint8Array, originalLength = data.byteLength): PcapRecord => ({
  timestampNs: 0n,
  originalLength,
  data,
});
const pcap = (records: PcapRecord[]): PcapFile => ({
  linkType: LINKTYPE_ETHERNET,
  snaplen: 262144,
  littleEndian: true,
  nanosecondTimestamps: false,
  records,
});

describe("capturedPackets", () => {
  test("keeps IP packets trimmed of padding, numbered by frame, without ARP and neighbour discovery", () => {
    const padded = frame(0x0800, [...echo4, ...new Array(18).fill(0)]);
    const packets = capturedPackets(
      pcap([
        record(frame(0x0806, arp)),
        record(padded),
        record(frame(0x86dd, neighbourSolicitation)),
        record(frame(0x86dd, echo6)),
      ]),
    );
    expect(packets.map((p) => p.frameNumber)).toEqual([2, 4]);
    expect([...(packets[0]?.ip ?? [])]).toEqual(echo4);
    expect([...(packets[1]?.ip ?? [])]).toEqual(echo6);
    expect(packets[1]?.summary.icmpType).toBe(128);
  });

  test("throws on a packet the snaplen cut and on one whose IP header does not parse", () => {
    const cut = record(frame(0x0800, echo4), 200);
    expect(() => capturedPackets(pcap([cut]))).toThrow(CaptureContentError);
    expect(() => capturedPackets(pcap([cut]))).toThrow("frame 1 was cut to 42 of 200 bytes");
    expect(() => capturedPackets(pcap([record(frame(0x0800, echo4.slice(0, 24)))]))).toThrow(
      "does not parse",
    );
  });
});

describe("ipPacketFixtures", () => {
  test("numbers the kept packets from 0 and gives each its frame's fields and its hex", () => {
    const packets = capturedPackets(
      pcap([
        record(frame(0x0806, arp)),
        record(frame(0x0800, echo4)),
        record(frame(0x86dd, echo6)),
      ]),
    );
    const fixtures = ipPacketFixtures("ping", packets, [
      { frameNumber: 1, fields: {} },
      { frameNumber: 2, fields: { "ip.version": ["4"] } },
      { frameNumber: 3, fields: { "ipv6.nxt": ["58"] } },
    ]);
    expect(fixtures).toEqual([
      {
        scenario: "ping",
        index: 0,
        hex: Buffer.from(echo4).toString("hex"),
        fields: { "ip.version": ["4"] },
      },
      {
        scenario: "ping",
        index: 1,
        hex: Buffer.from(echo6).toString("hex"),
        fields: { "ipv6.nxt": ["58"] },
      },
    ]);
  });

  test("throws when tshark printed nothing for a kept frame", () => {
    const packets = capturedPackets(pcap([record(frame(0x0800, echo4))]));
    expect(() => ipPacketFixtures("ping", packets, [])).toThrow(
      "tshark printed nothing for frame 1",
    );
  });
});
