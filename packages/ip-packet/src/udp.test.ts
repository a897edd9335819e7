import { describe, expect, test } from "bun:test";
import { UdpPacket } from "@fz/ip-packet";
import { UDP4_DNS_QUERY } from "../test/known-packets.ts";
import { kindOf, ok } from "../test/support.ts";

const datagram = UDP4_DNS_QUERY.subarray(20);

describe("UdpPacket", () => {
  test("reads ports, length, checksum and payload", () => {
    const udp = ok(UdpPacket.checked(datagram));
    expect(udp.srcPort).toBe(53000);
    expect(udp.dstPort).toBe(53);
    expect(udp.length).toBe(37);
    expect(udp.checksum).toBe(0x625a);
    expect(udp.payload().length).toBe(29);
    expect(udp.payload()[0]).toBe(0x12); // DNS id 0x1234
  });

  test("trims to the length field", () => {
    const padded = new Uint8Array(datagram.length + 3);
    padded.set(datagram);
    expect(ok(UdpPacket.checked(padded)).bytes.length).toBe(37);
  });

  test("refuses short headers and lengths outside 8..bytes", () => {
    expect(kindOf(UdpPacket.checked(datagram.subarray(0, 7)))).toBe("truncated");
    expect(kindOf(UdpPacket.checked(datagram.subarray(0, 36)))).toBe("truncated");
    const short = datagram.slice();
    short[5] = 7;
    expect(kindOf(UdpPacket.checked(short))).toBe("bad-length");
  });

  test("a prefix keeps a length beyond its bytes and clips the payload", () => {
    const udp = ok(UdpPacket.checkedPrefix(datagram.subarray(0, 12)));
    expect(udp.length).toBe(37);
    expect(udp.payload().length).toBe(4);
  });

  test("setters write network order", () => {
    const bytes = new Uint8Array(8);
    const udp = UdpPacket.unchecked(bytes);
    udp.srcPort = 0x1234;
    udp.dstPort = 53;
    udp.length = 8;
    udp.checksum = 0xffff;
    expect([...bytes]).toEqual([0x12, 0x34, 0, 53, 0, 8, 0xff, 0xff]);
  });
});
