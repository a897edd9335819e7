import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  formatIpv4,
  formatIpv6,
  Icmpv4Packet,
  Icmpv6Packet,
  type IpPacket,
  isWireError,
  parseIpPacket,
  parseIpv6,
  TcpPacket,
  transportChecksumValid,
  UdpPacket,
} from "@fz/ip-packet";
import { reassemble } from "./reassemble.ts";
import { hex } from "./support.ts";

// Real traffic captured by tools/capture (tcpdump in network namespaces: ping, HTTP over TCP,
// DNS over UDP and TCP, port unreachable, fragmented pings) and decoded by tshark with checksum
// verification on. Every packet is parsed with the checked views here and every field tshark
// reported is compared, occurrence by occurrence (an ICMP error lists the outer header, then the
// embedded one). tshark prints ids, flags and checksums in hex, booleans as 1/0 or True/False,
// fragment offsets in 8-byte units.

const FIXTURE = join(import.meta.dir, "..", "fixtures", "captures.json");

interface CapturedPacket {
  readonly scenario: string;
  readonly index: number;
  readonly hex: string;
  readonly fields: Readonly<Record<string, readonly string[]>>;
}

/** Field names across tshark versions and the brief, mapped to the ones extracted below. */
const ALIASES: Readonly<Record<string, string>> = {
  "icmp.checksum_status": "icmp.checksum.status",
  "ipv6.fragment.offset": "ipv6.fraghdr.offset",
  "ipv6.fragment.more": "ipv6.fraghdr.more",
  "ipv6.fragment.id": "ipv6.fraghdr.ident",
  "ipv6.fragment.ident": "ipv6.fraghdr.ident",
};

const STATUS_FIELDS = new Set([
  "ip.checksum.status",
  "udp.checksum.status",
  "tcp.checksum.status",
  "icmp.checksum.status",
  "icmpv6.checksum.status",
]);

const ADDRESS_FIELDS = new Set(["ip.src", "ip.dst", "ipv6.src", "ipv6.dst"]);

/** Status for a checksum this side could not verify (a fragment, a cut-off quote). */
const UNKNOWN = "?";

class Decoded {
  readonly fields = new Map<string, string[]>();

  add(name: string, value: number | boolean | string): void {
    const text = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
    const list = this.fields.get(name);
    if (list === undefined) this.fields.set(name, [text]);
    else list.push(text);
  }

  status(name: string, valid: boolean | undefined): void {
    this.add(name, valid === undefined ? UNKNOWN : valid);
  }
}

/** Decodes a packet the way tshark lays out its fields, with this package's views. */
function decode(packet: IpPacket, out: Decoded, transportSource: IpPacket | undefined): void {
  if (packet.version === 4) {
    out.add("ip.version", 4);
    out.add("ip.hdr_len", packet.headerLen);
    out.add("ip.len", packet.totalLen);
    out.add("ip.id", packet.ident);
    out.add("ip.flags.df", packet.dontFragment);
    out.add("ip.flags.mf", packet.moreFragments);
    out.add("ip.frag_offset", packet.fragmentOffsetBytes / 8);
    out.add("ip.ttl", packet.ttl);
    out.add("ip.proto", packet.protocol);
    out.add("ip.checksum", packet.checksum);
    out.status("ip.checksum.status", packet.headerChecksumValid());
    out.add("ip.src", formatIpv4(packet.src));
    out.add("ip.dst", formatIpv4(packet.dst));
  } else {
    out.add("ip.version", 6);
    out.add("ipv6.plen", packet.payloadLen);
    out.add("ipv6.nxt", packet.nextHeader);
    out.add("ipv6.hlim", packet.hopLimit);
    out.add("ipv6.src", formatIpv6(packet.src));
    out.add("ipv6.dst", formatIpv6(packet.dst));
    if (packet.hasFragmentHeader) {
      out.add("ipv6.fraghdr.offset", packet.fragmentOffsetBytes / 8);
      out.add("ipv6.fraghdr.more", packet.moreFragments);
      out.add("ipv6.fraghdr.ident", packet.fragmentId);
    }
  }
  // The upper layer comes from the packet itself, or from the reassembled datagram when tshark
  // decoded it on the last fragment.
  const upper = transportSource ?? packet;
  if (!upper.hasTransportHeader) return;
  const bytes = upper.payload();
  // Checksums can be verified over whole datagrams only.
  const verifiable = !upper.isFragment && !upper.isTruncated;
  const valid = (): boolean | undefined => (verifiable ? transportChecksumValid(upper) : undefined);
  switch (upper.protocol) {
    case 17: {
      const udp = verifiable ? UdpPacket.checked(bytes) : UdpPacket.checkedPrefix(bytes);
      if (isWireError(udp)) return;
      out.add("udp.srcport", udp.srcPort);
      out.add("udp.dstport", udp.dstPort);
      out.add("udp.length", udp.length);
      out.add("udp.checksum", udp.checksum);
      out.status("udp.checksum.status", valid());
      return;
    }
    case 6: {
      const tcp = TcpPacket.checked(bytes);
      if (isWireError(tcp)) {
        // A quote cut inside the TCP header: what tshark can still read.
        if (bytes.length >= 4) {
          out.add("tcp.srcport", ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0));
          out.add("tcp.dstport", ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
        }
        return;
      }
      out.add("tcp.srcport", tcp.srcPort);
      out.add("tcp.dstport", tcp.dstPort);
      out.add("tcp.seq_raw", tcp.seq);
      out.add("tcp.ack_raw", tcp.ack);
      out.add("tcp.hdr_len", tcp.headerLen);
      out.add("tcp.flags", tcp.flags);
      out.add("tcp.window_size_value", tcp.window);
      out.add("tcp.checksum", tcp.checksum);
      out.status("tcp.checksum.status", valid());
      out.add("tcp.len", tcp.payload().length);
      return;
    }
    case 1: {
      if (upper.version !== 4) return;
      const icmp = Icmpv4Packet.checked(bytes);
      if (isWireError(icmp)) return;
      out.add("icmp.type", icmp.type);
      out.add("icmp.code", icmp.code);
      out.add("icmp.checksum", icmp.checksum);
      out.status("icmp.checksum.status", valid());
      if (icmp.isEcho) {
        out.add("icmp.ident", icmp.echoId);
        out.add("icmp.seq", icmp.echoSeq);
      }
      const inner = icmp.embedded();
      if (!isWireError(inner)) decode(inner, out, undefined);
      return;
    }
    case 58: {
      if (upper.version !== 6) return;
      const icmp = Icmpv6Packet.checked(bytes);
      if (isWireError(icmp)) return;
      out.add("icmpv6.type", icmp.type);
      out.add("icmpv6.code", icmp.code);
      out.add("icmpv6.checksum", icmp.checksum);
      out.status("icmpv6.checksum.status", valid());
      if (icmp.isEcho) {
        out.add("icmpv6.echo.identifier", icmp.echoId);
        out.add("icmpv6.echo.sequence_number", icmp.echoSeq);
      }
      const inner = icmp.embedded();
      if (!isWireError(inner)) decode(inner, out, undefined);
      return;
    }
  }
}

/** tshark's text of a value in the form `Decoded` writes it. */
function normalize(name: string, value: string): string {
  if (ADDRESS_FIELDS.has(name)) {
    if (!value.includes(":")) return value;
    const bytes = parseIpv6(value);
    return bytes === undefined ? value : formatIpv6(bytes);
  }
  if (value === "True") return "1";
  if (value === "False") return "0";
  if (/^0x[0-9a-fA-F]+$/.test(value)) return String(Number.parseInt(value, 16));
  return value;
}

function loadCaptures(): CapturedPacket[] {
  const parsed: unknown = JSON.parse(readFileSync(FIXTURE, "utf8"));
  if (typeof parsed !== "object" || parsed === null || !("packets" in parsed)) {
    throw new Error(`${FIXTURE} has no "packets"`);
  }
  const packets = parsed.packets;
  if (!Array.isArray(packets)) throw new Error(`${FIXTURE}: "packets" is not an array`);
  return packets;
}

const LAYER_PREFIXES = ["udp.", "tcp.", "icmp.", "icmpv6."];

if (!existsSync(FIXTURE)) {
  test("fixtures/captures.json exists", () => {
    throw new Error(
      `${FIXTURE} is missing: generate it with tools/capture (bun run capture there), then rerun`,
    );
  });
} else {
  const packets = loadCaptures();
  const byScenario = new Map<string, CapturedPacket[]>();
  for (const packet of packets) {
    const list = byScenario.get(packet.scenario) ?? [];
    list.push(packet);
    byScenario.set(packet.scenario, list);
  }

  /** Earlier fragments of the same datagram in the same scenario, the packet itself included. */
  const fragmentsOf = (captured: CapturedPacket, packet: IpPacket): IpPacket[] => {
    const key = (p: IpPacket) =>
      p.version === 4
        ? `4 ${p.src} ${p.dst} ${p.protocol} ${p.ident}`
        : `6 ${hex(p.src)} ${hex(p.dst)} ${p.fragmentId}`;
    const mine = key(packet);
    return (byScenario.get(captured.scenario) ?? [])
      .filter((other) => other.index <= captured.index)
      .map((other) => parseIpPacket(Uint8Array.from(Buffer.from(other.hex, "hex"))))
      .filter((p): p is IpPacket => !isWireError(p) && p.isFragment && key(p) === mine);
  };

  describe("real captures decoded by tshark", () => {
    test("cover every kind of traffic the issue asks for", () => {
      const kinds = new Set<string>();
      for (const captured of packets) {
        const packet = parseIpPacket(Uint8Array.from(Buffer.from(captured.hex, "hex")));
        if (isWireError(packet)) continue;
        const v = packet.version;
        if (packet.isFragment) kinds.add(`fragment${v}`);
        const first = packet.bytes[packet.headerLen];
        if (packet.protocol === 6) kinds.add(`tcp${v}`);
        if (packet.protocol === 17) kinds.add(`udp${v}`);
        if (packet.protocol === 1 && (first === 0 || first === 8)) kinds.add("echo4");
        if (packet.protocol === 1 && first === 3) kinds.add("unreachable4");
        if (packet.protocol === 58 && (first === 128 || first === 129)) kinds.add("echo6");
        if (packet.protocol === 58 && first === 1) kinds.add("unreachable6");
      }
      expect([...kinds].sort()).toEqual(
        [
          "echo4",
          "echo6",
          "fragment4",
          "fragment6",
          "tcp4",
          "tcp6",
          "udp4",
          "udp6",
          "unreachable4",
          "unreachable6",
        ].sort(),
      );
    });

    for (const captured of packets) {
      test(`${captured.scenario} #${captured.index}: fields and checksums match tshark`, () => {
        const bytes = Uint8Array.from(Buffer.from(captured.hex, "hex"));
        const packet = parseIpPacket(bytes);
        if (isWireError(packet)) throw new Error(`checked parse refused it: ${packet.kind}`);
        expect(packet.bytes.length).toBe(bytes.length);

        const tsharkDecodedUpper = Object.keys(captured.fields).some((name) =>
          LAYER_PREFIXES.some((prefix) => name.startsWith(prefix)),
        );
        let transportSource: IpPacket | undefined;
        if (!packet.hasTransportHeader && tsharkDecodedUpper) {
          // tshark reassembled the datagram and decoded its upper layer on this last fragment.
          const whole = reassemble(fragmentsOf(captured, packet));
          if (whole === undefined) throw new Error("tshark reassembled what this test could not");
          const parsed = parseIpPacket(whole);
          if (isWireError(parsed)) throw new Error(`reassembled datagram refused: ${parsed.kind}`);
          transportSource = parsed;
        }
        const decoded = new Decoded();
        decode(packet, decoded, transportSource);

        let compared = 0;
        for (const [reported, values] of Object.entries(captured.fields)) {
          const name = ALIASES[reported] ?? reported;
          const expected = values.map((value) => normalize(name, value));
          const mine = decoded.fields.get(name);
          if (STATUS_FIELDS.has(name)) {
            // 1 good, 0 bad; 2 unverified, 3 not present (UDP checksum 0), 4 illegal.
            expect(mine?.length, `${reported} occurrences`).toBe(expected.length);
            expected.forEach((status, i) => {
              if (status === "0" || status === "1") {
                expect(mine?.[i], `${reported}[${i}]`).toBe(status);
              }
            });
          } else {
            expect(mine, reported).toEqual(expected);
          }
          compared++;
        }
        expect(compared).toBeGreaterThan(0);
      });
    }
  });
}
