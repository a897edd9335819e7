import { describe, expect, test } from "bun:test";
import {
  destinationPortOf,
  Icmpv4Packet,
  icmpEchoIdOf,
  icmpEchoSeqOf,
  parseIpPacket,
  sourcePortOf,
} from "@fz/ip-packet";
import {
  ICMP4_ECHO_REQUEST,
  ICMP4_PORT_UNREACHABLE,
  ICMP4_TIME_EXCEEDED,
  ICMP6_ECHO_REQUEST,
  TCP6_PSH_ACK,
  UDP4_DNS_QUERY,
  UDP4_LAST_FRAGMENT,
  UDP6_EXTENSIONS_FIRST_FRAGMENT,
} from "../test/known-packets.ts";
import { ok } from "../test/support.ts";

const parse = (bytes: Uint8Array) => ok(parseIpPacket(bytes));

describe("flow fields", () => {
  test("ports of TCP and UDP, behind extension headers too", () => {
    expect(sourcePortOf(parse(UDP4_DNS_QUERY))).toBe(53000);
    expect(destinationPortOf(parse(UDP4_DNS_QUERY))).toBe(53);
    expect(sourcePortOf(parse(TCP6_PSH_ACK))).toBe(443);
    expect(destinationPortOf(parse(TCP6_PSH_ACK))).toBe(51000);
    expect(destinationPortOf(parse(UDP6_EXTENSIONS_FIRST_FRAGMENT))).toBe(8000);
  });

  test("no ports for ICMP or for later fragments", () => {
    expect(sourcePortOf(parse(ICMP4_ECHO_REQUEST))).toBeUndefined();
    expect(sourcePortOf(parse(UDP4_LAST_FRAGMENT))).toBeUndefined();
  });

  test("echo identifier and sequence of both families, nothing for errors", () => {
    expect(icmpEchoIdOf(parse(ICMP4_ECHO_REQUEST))).toBe(0x1234);
    expect(icmpEchoSeqOf(parse(ICMP4_ECHO_REQUEST))).toBe(1);
    expect(icmpEchoIdOf(parse(ICMP6_ECHO_REQUEST))).toBe(0xabcd);
    expect(icmpEchoSeqOf(parse(ICMP6_ECHO_REQUEST))).toBe(0x0102);
    expect(icmpEchoIdOf(parse(ICMP4_PORT_UNREACHABLE))).toBeUndefined();
    expect(icmpEchoIdOf(parse(UDP4_DNS_QUERY))).toBeUndefined();
  });

  test("work on the prefix an ICMP error embeds", () => {
    const error = ok(Icmpv4Packet.checked(parse(ICMP4_TIME_EXCEEDED).payload()));
    const inner = ok(error.embedded());
    expect(sourcePortOf(inner)).toBe(40000);
    expect(destinationPortOf(inner)).toBe(443);
  });
});
