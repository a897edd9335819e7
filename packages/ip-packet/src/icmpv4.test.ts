import { describe, expect, test } from "bun:test";
import {
  formatIpv4,
  Icmpv4Packet,
  Icmpv4Type,
  Icmpv4UnreachableCode,
  IpProtocol,
} from "@fz/ip-packet";
import {
  ICMP4_ECHO_REQUEST,
  ICMP4_PORT_UNREACHABLE,
  ICMP4_TIME_EXCEEDED,
  UDP4_DNS_QUERY,
} from "../test/known-packets.ts";
import { kindOf, ok } from "../test/support.ts";

describe("Icmpv4Packet", () => {
  test("reads an echo request", () => {
    const icmp = ok(Icmpv4Packet.checked(ICMP4_ECHO_REQUEST.subarray(20)));
    expect(icmp.type).toBe(Icmpv4Type.EchoRequest);
    expect(icmp.code).toBe(0);
    expect(icmp.checksum).toBe(0x8764);
    expect(icmp.isEcho).toBe(true);
    expect(icmp.isError).toBe(false);
    expect(icmp.echoId).toBe(0x1234);
    expect(icmp.echoSeq).toBe(1);
    expect(new TextDecoder().decode(icmp.payload())).toBe("abcdefgh01234567");
    expect(kindOf(icmp.embedded())).toBe("not-an-error");
  });

  test("exposes the whole packet a port unreachable embeds", () => {
    const icmp = ok(Icmpv4Packet.checked(ICMP4_PORT_UNREACHABLE.subarray(20)));
    expect(icmp.type).toBe(Icmpv4Type.DestinationUnreachable);
    expect(icmp.code).toBe(Icmpv4UnreachableCode.Port);
    expect(icmp.isError).toBe(true);
    const inner = ok(icmp.embedded());
    expect(inner.isTruncated).toBe(false);
    expect(formatIpv4(inner.src)).toBe("192.0.2.1");
    expect(formatIpv4(inner.dst)).toBe("198.51.100.53");
    expect([...inner.bytes]).toEqual([...UDP4_DNS_QUERY]);
  });

  test("exposes the header + 8 bytes a time exceeded embeds", () => {
    const icmp = ok(Icmpv4Packet.checked(ICMP4_TIME_EXCEEDED.subarray(20)));
    expect(icmp.type).toBe(Icmpv4Type.TimeExceeded);
    const inner = ok(icmp.embedded());
    expect(inner.isTruncated).toBe(true);
    expect(inner.protocol).toBe(IpProtocol.Tcp);
    expect(inner.totalLen).toBe(60);
    expect(inner.payload().length).toBe(8);
  });

  test("reports the next-hop MTU of fragmentation needed only", () => {
    const bytes = Uint8Array.of(3, 4, 0, 0, 0, 0, 0x05, 0x00);
    expect(ok(Icmpv4Packet.checked(bytes)).nextHopMtu).toBe(1280);
    bytes[1] = 1;
    expect(ok(Icmpv4Packet.checked(bytes)).nextHopMtu).toBe(0);
  });

  test("refuses fewer than 8 bytes and an error embedding garbage", () => {
    expect(kindOf(Icmpv4Packet.checked(new Uint8Array(7)))).toBe("truncated");
    const error = ok(Icmpv4Packet.checked(Uint8Array.of(3, 1, 0, 0, 0, 0, 0, 0, 0x45, 0)));
    expect(kindOf(error.embedded())).toBe("truncated");
  });
});
