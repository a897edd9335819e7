import { ptr } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GSO_TCPV4,
  isWireError,
  parseIpPacket,
  TcpSegmenter,
  transportChecksumValid,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
} from "@fz/ip-packet";
import { TunOffload } from "./tun-offload.ts";

/** An IPv4 + TCP packet 192.0.2.1:40000 -> 198.51.100.7:443 with `payload` bytes of data. */
function tcpPacket(payload: number): Uint8Array {
  const packet = new Uint8Array(40 + payload);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x45);
  view.setUint16(2, packet.length);
  view.setUint8(8, 64);
  view.setUint8(9, 6);
  packet.set([192, 0, 2, 1, 198, 51, 100, 7], 12);
  view.setUint16(20, 40000);
  view.setUint16(22, 443);
  view.setUint32(24, 1000);
  view.setUint8(32, 0x50);
  view.setUint8(33, 0x18); // ACK | PSH
  view.setUint16(34, 65535);
  for (let i = 0; i < payload; i++) packet[40 + i] = i & 0xff;
  return packet;
}

/**
 * Lays a TUN read into `offload.buffer`: the virtio_net_hdr, then the packet. A GSO read is laid
 * out as the kernel makes one: NEEDS_CSUM, TCP at csum_start 20, and the TCP checksum field
 * holding the pseudo-header's partial sum over the whole super-packet.
 */
function read(offload: TunOffload, packet: Uint8Array, header: Partial<Header> = {}): number {
  const gso = (header.gsoType ?? 0) !== 0;
  const view = new DataView(offload.buffer.buffer, offload.buffer.byteOffset);
  view.setUint8(0, header.flags ?? (gso ? VNET_F_NEEDS_CSUM : 0));
  view.setUint8(1, header.gsoType ?? 0);
  view.setUint16(2, 40, true);
  view.setUint16(4, header.gsoSize ?? 0, true);
  view.setUint16(6, header.csumStart ?? (gso ? 20 : 0), true);
  view.setUint16(8, header.csumOffset ?? (gso ? 16 : 0), true);
  offload.buffer.set(packet, VNET_HDR_BYTES);
  if (gso && packet.length >= 40) view.setUint16(VNET_HDR_BYTES + 36, pseudoHeaderSum(packet));
  return VNET_HDR_BYTES + packet.length;
}

interface Header {
  flags: number;
  gsoType: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

describe("TunOffload", () => {
  test("a TCP super-packet becomes MSS-sized segments with valid checksums", () => {
    const offload = new TunOffload();
    const count = offload.take(
      read(offload, tcpPacket(1000), { gsoType: GSO_TCPV4, gsoSize: 300 }),
    );
    expect(count).toBe(4);
    expect(offload.segmented).toBe(true);
    const out = new Uint8Array(2048);
    const payloads: number[] = [];
    for (let i = 0; i < count; i++) {
      const length = offload.write(i, out);
      const parsed = parseIpPacket(out.slice(0, length));
      if (isWireError(parsed)) throw new Error(parsed.kind);
      expect(transportChecksumValid(parsed)).toBe(true);
      payloads.push(length - 40);
    }
    expect(payloads).toEqual([300, 300, 300, 100]);
  });

  test("a plain packet is copied whole; one whose checksum the kernel left to us gets it", () => {
    const offload = new TunOffload();
    const packet = tcpPacket(100);
    const out = new Uint8Array(2048);
    expect(offload.take(read(offload, packet))).toBe(1);
    expect(offload.segmented).toBe(false);
    expect([...out.slice(0, offload.write(0, out))]).toEqual([...packet]);

    // NEEDS_CSUM: the TCP checksum field holds the pseudo-header's sum; finish it.
    const expected = tcpPacket(100);
    const segmenter = new TunOffload();
    segmenter.take(read(segmenter, expected, { gsoType: GSO_TCPV4, gsoSize: 1000 }));
    segmenter.write(0, expected);
    const partial = expected.slice();
    const pseudo = pseudoHeaderSum(partial);
    new DataView(partial.buffer).setUint16(36, pseudo);
    const flags = VNET_F_NEEDS_CSUM;
    expect(offload.take(read(offload, partial, { flags, csumStart: 20, csumOffset: 16 }))).toBe(1);
    expect([...out.slice(0, offload.write(0, out))]).toEqual([...expected]);
  });

  test("malformed reads and a slot too small give 0, never a throw", () => {
    const offload = new TunOffload();
    expect(offload.take(VNET_HDR_BYTES)).toBe(0);
    const udp = tcpPacket(500);
    udp[9] = 17;
    expect(offload.take(read(offload, udp, { gsoType: GSO_TCPV4, gsoSize: 100 }))).toBe(0);
    const flags = VNET_F_NEEDS_CSUM;
    expect(
      offload.take(read(offload, tcpPacket(10), { flags, csumStart: 60, csumOffset: 16 })),
    ).toBe(0);
    expect(offload.take(read(offload, tcpPacket(600), { gsoType: GSO_TCPV4, gsoSize: 500 }))).toBe(
      2,
    );
    expect(offload.write(0, new Uint8Array(100))).toBe(0);
    expect(offload.take(read(offload, tcpPacket(600)))).toBe(1);
    expect(offload.write(0, new Uint8Array(100))).toBe(0);
  });
});

/** The TCP pseudo-header's ones'-complement sum (not complemented), as the kernel leaves it. */
function pseudoHeaderSum(packet: Uint8Array): number {
  const view = new DataView(packet.buffer, packet.byteOffset);
  let sum = 6 + (packet.length - 20);
  for (let at = 12; at < 20; at += 2) sum += view.getUint16(at);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

describe("TunOffload: opened packets out to the device", () => {
  test("a flow's run of segments is one write with a TSO header; other packets go alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-gro-"));
    const file = join(dir, "writes");
    const fd = openSync(file, "w");
    try {
      const segmenter = new TcpSegmenter();
      const original = tcpPacket(900);
      expect(segmenter.begin(original, 300)).toBe(3);
      const segments = [0, 1, 2].map((i) => {
        const out = new Uint8Array(400);
        return out.subarray(0, segmenter.write(i, out));
      });
      const udp = tcpPacket(20);
      udp[9] = 17;
      const offload = new TunOffload();
      for (const packet of [segments[0], udp, segments[1], segments[2]]) {
        expect(offload.hold(packet ?? new Uint8Array(0))).toBe(true);
      }
      expect(offload.flush(fd, (bytes) => ptr(bytes))).toBe(0);
      expect(offload.writes).toEqual({ writes: 2, mergedPackets: 3 });
      const written = new Uint8Array(readFileSync(file));
      // The UDP packet went first, where it stood; the run was written when the batch ended.
      expect([...written.subarray(0, VNET_HDR_BYTES)]).toEqual(new Array(10).fill(0));
      expect([...written.subarray(VNET_HDR_BYTES, VNET_HDR_BYTES + udp.length)]).toEqual([...udp]);
      const merged = written.subarray(VNET_HDR_BYTES + udp.length);
      const header = new DataView(merged.buffer, merged.byteOffset);
      expect(header.getUint8(0)).toBe(VNET_F_NEEDS_CSUM);
      expect(header.getUint8(1)).toBe(GSO_TCPV4);
      expect(header.getUint16(4, true)).toBe(300);
      expect(merged.length).toBe(VNET_HDR_BYTES + original.length);
      expect([...merged.subarray(VNET_HDR_BYTES + 40)]).toEqual([...original.subarray(40)]);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a device that refuses a merged write turns merging off: packets then go one by one", () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-gro-"));
    const file = join(dir, "read-only");
    writeFileSync(file, "");
    const fd = openSync(file, "r");
    try {
      const segmenter = new TcpSegmenter();
      segmenter.begin(tcpPacket(600), 300);
      const offload = new TunOffload();
      for (const i of [0, 1]) {
        const out = new Uint8Array(400);
        offload.hold(out.subarray(0, segmenter.write(i, out)));
      }
      expect(offload.merging).toBe(true);
      expect(offload.flush(fd, (bytes) => ptr(bytes))).toBe(1);
      expect(offload.merging).toBe(false);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
