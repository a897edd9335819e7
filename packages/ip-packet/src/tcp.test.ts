import { describe, expect, test } from "bun:test";
import { TcpFlag, TcpPacket } from "@fz/ip-packet";
import { TCP4_SYN, TCP6_PSH_ACK } from "../test/known-packets.ts";
import { kindOf, ok } from "../test/support.ts";

describe("TcpPacket", () => {
  test("reads a SYN with options", () => {
    const tcp = ok(TcpPacket.checked(TCP4_SYN.subarray(20)));
    expect(tcp.srcPort).toBe(40000);
    expect(tcp.dstPort).toBe(443);
    expect(tcp.seq).toBe(0x01020304);
    expect(tcp.ack).toBe(0);
    expect(tcp.headerLen).toBe(40);
    expect(tcp.flags).toBe(TcpFlag.Syn);
    expect(tcp.syn).toBe(true);
    expect(tcp.ackFlag).toBe(false);
    expect(tcp.window).toBe(64240);
    expect(tcp.checksum).toBe(0x6b31);
    expect(tcp.urgentPointer).toBe(0);
    expect([...tcp.options().subarray(0, 4)]).toEqual([2, 4, 0x05, 0xb4]); // MSS 1460
    expect(tcp.payload().length).toBe(0);
  });

  test("reads sequence numbers above 2^31 as unsigned, and PSH+ACK", () => {
    const tcp = ok(TcpPacket.checked(TCP6_PSH_ACK.subarray(40)));
    expect(tcp.seq).toBe(0xfffffff0);
    expect(tcp.ack).toBe(0x80000001);
    expect(tcp.flags).toBe(TcpFlag.Psh | TcpFlag.Ack);
    expect(tcp.psh && tcp.ackFlag && !tcp.syn && !tcp.fin && !tcp.rst && !tcp.urg).toBe(true);
    expect(new TextDecoder().decode(tcp.payload())).toBe("HTTP/1.1 200 OK\r\n");
  });

  test("refuses short headers, data offsets below 5 and options past the bytes", () => {
    const segment = TCP4_SYN.subarray(20);
    expect(kindOf(TcpPacket.checked(segment.subarray(0, 19)))).toBe("truncated");
    expect(kindOf(TcpPacket.checked(segment.subarray(0, 39)))).toBe("truncated");
    const bad = segment.slice();
    bad[12] = 0x40;
    expect(kindOf(TcpPacket.checked(bad))).toBe("bad-header-len");
  });

  test("setters keep the data offset and the flags apart", () => {
    const bytes = new Uint8Array(20);
    const tcp = TcpPacket.unchecked(bytes);
    tcp.headerLen = 20;
    tcp.flags = TcpFlag.Ae | TcpFlag.Fin | TcpFlag.Ack;
    tcp.seq = 0xffffffff;
    tcp.ack = 0x80000000;
    expect(bytes[12]).toBe(0x51);
    expect(bytes[13]).toBe(0x11);
    expect(tcp.headerLen).toBe(20);
    expect(tcp.flags).toBe(0x111);
    expect(tcp.seq).toBe(0xffffffff);
    expect(tcp.ack).toBe(0x80000000);
  });
});
