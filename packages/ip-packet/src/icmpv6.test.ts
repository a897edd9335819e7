import { describe, expect, test } from "bun:test";
import { formatIpv6, Icmpv6Packet, Icmpv6Type, Icmpv6UnreachableCode } from "@fz/ip-packet";
import {
  ICMP6_ECHO_REQUEST,
  ICMP6_PORT_UNREACHABLE,
  UDP6_DNS_QUERY,
} from "../test/known-packets.ts";
import { kindOf, ok } from "../test/support.ts";

describe("Icmpv6Packet", () => {
  test("reads an echo request", () => {
    const icmp = ok(Icmpv6Packet.checked(ICMP6_ECHO_REQUEST.subarray(40)));
    expect(icmp.type).toBe(Icmpv6Type.EchoRequest);
    expect(icmp.checksum).toBe(0x38cf);
    expect(icmp.isEcho).toBe(true);
    expect(icmp.isError).toBe(false);
    expect(icmp.echoId).toBe(0xabcd);
    expect(icmp.echoSeq).toBe(0x0102);
    expect(kindOf(icmp.embedded())).toBe("not-an-error");
  });

  test("exposes the packet a destination unreachable embeds", () => {
    const icmp = ok(Icmpv6Packet.checked(ICMP6_PORT_UNREACHABLE.subarray(40)));
    expect(icmp.type).toBe(Icmpv6Type.DestinationUnreachable);
    expect(icmp.code).toBe(Icmpv6UnreachableCode.Port);
    expect(icmp.isError).toBe(true);
    const inner = ok(icmp.embedded());
    expect(formatIpv6(inner.src)).toBe("fd00:198:18::1");
    expect([...inner.bytes]).toEqual([...UDP6_DNS_QUERY]);
  });

  test("reports the MTU of packet too big only", () => {
    const bytes = Uint8Array.of(2, 0, 0, 0, 0, 0, 0x05, 0x00);
    expect(ok(Icmpv6Packet.checked(bytes)).mtu).toBe(1280);
    bytes[0] = 1;
    expect(ok(Icmpv6Packet.checked(bytes)).mtu).toBe(0);
  });

  test("refuses fewer than 8 bytes", () => {
    expect(kindOf(Icmpv6Packet.checked(new Uint8Array(7)))).toBe("truncated");
  });
});
