import { describe, expect, test } from "bun:test";
import { asUdp, parseIpPacket, transportChecksumValid } from "@fz/ip-packet";
import {
  UDP4_FIRST_FRAGMENT,
  UDP4_LAST_FRAGMENT,
  UDP6_EXTENSIONS_FIRST_FRAGMENT,
  UDP6_EXTENSIONS_LAST_FRAGMENT,
} from "./known-packets.ts";
import { reassemble } from "./reassemble.ts";
import { ok } from "./support.ts";

// The captures test leans on this helper for fragments tshark reassembled; it is checked
// against fragments whose reassembled checksums tshark confirmed.

describe("test reassembly helper", () => {
  test("rebuilds a fragmented UDP datagram over IPv4 and IPv6", () => {
    for (const [first, last, length] of [
      [UDP4_FIRST_FRAGMENT, UDP4_LAST_FRAGMENT, 48],
      [UDP6_EXTENSIONS_FIRST_FRAGMENT, UDP6_EXTENSIONS_LAST_FRAGMENT, 40],
    ] as const) {
      const whole = reassemble([ok(parseIpPacket(last)), ok(parseIpPacket(first))]);
      const packet = ok(parseIpPacket(whole ?? new Uint8Array()));
      expect(packet.isFragment).toBe(false);
      expect(ok(asUdp(packet)).length).toBe(length);
      expect(transportChecksumValid(packet)).toBe(true);
    }
  });

  test("refuses a gap or a missing last fragment", () => {
    expect(reassemble([ok(parseIpPacket(UDP4_FIRST_FRAGMENT))])).toBeUndefined();
    expect(reassemble([ok(parseIpPacket(UDP4_LAST_FRAGMENT))])).toBeUndefined();
  });
});
