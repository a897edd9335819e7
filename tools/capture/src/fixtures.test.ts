import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  DNS_FIXTURE_PATH,
  DNS_SCENARIO_NAMES,
  type DnsCaptureFixture,
  dnsFixtureProblems,
  dnsIdOf,
  FIXTURE_SOURCE,
  formatFixtureJson,
  IP_FIXTURE_PATH,
  type IpCaptureFixture,
  ipFixtureProblems,
  isHex,
  REPO_ROOT,
  reassembleTcpDirection,
  SCENARIO_NAMES,
  splitLengthPrefixed,
  summarizeIp,
  toHex,
} from "@fz/capture";

const versions = { tcpdump: "4.99.3", tshark: "4.0.17", dnsmasq: "2.90", kernel: "6.1.0" };
const ipFile = (packets: unknown[]) => ({
  source: FIXTURE_SOURCE,
  tool_versions: versions,
  packets,
});
const dnsFile = (messages: unknown[]) => ({
  source: FIXTURE_SOURCE,
  tool_versions: versions,
  messages,
});
const goodPacket = { scenario: "ping4", index: 0, hex: "4500", fields: { "ip.version": ["4"] } };
const goodMessage = {
  scenario: "a-record",
  transport: "udp",
  direction: "query",
  hex: "abcd",
  fields: {},
};
const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));

describe("isHex and toHex", () => {
  test("accept only non-empty, even-length lowercase hex", () => {
    expect(toHex(Uint8Array.of(0, 0xab, 0x10))).toBe("00ab10");
    expect(isHex("00ab10")).toBe(true);
    for (const bad of ["", "abc", "AB", "zz", "0x00", "00 11"]) expect(isHex(bad)).toBe(false);
  });
});

describe("ipFixtureProblems", () => {
  test("accepts the documented format", () => {
    expect(ipFixtureProblems(ipFile([goodPacket]))).toEqual([]);
  });

  test("names each way a file breaks the format", () => {
    expect(ipFixtureProblems([])).toEqual(["the file is not a JSON object"]);
    expect(ipFixtureProblems({ ...ipFile([]), source: "x", extra: 1 })).toEqual([
      'the file has unexpected "extra"',
      `source is not ${JSON.stringify(FIXTURE_SOURCE)}`,
    ]);
    expect(
      ipFixtureProblems({ ...ipFile([]), tool_versions: { ...versions, kernel: "" } }),
    ).toEqual(["tool_versions.kernel is not a non-empty string"]);
    expect(
      ipFixtureProblems(
        ipFile([
          {
            ...goodPacket,
            scenario: "",
            index: -1,
            hex: "45g0",
            fields: { "ip.len": [], "ip.ttl": [64] },
          },
        ]),
      ),
    ).toEqual([
      "packets[0].scenario is not a non-empty string",
      "packets[0].index is not a whole number >= 0",
      "packets[0].hex is not non-empty lowercase hex",
      'packets[0].fields["ip.len"] is not a non-empty array of strings',
      'packets[0].fields["ip.ttl"] is not a non-empty array of strings',
    ]);
    const { fields: _fields, ...withoutFields } = goodPacket;
    expect(ipFixtureProblems(ipFile([withoutFields]))).toEqual([
      'packets[0] has no "fields"',
      "packets[0].fields is not an object",
    ]);
  });
});

describe("dnsFixtureProblems", () => {
  test("accepts UDP messages without and TCP messages with a stream", () => {
    const tcp = { ...goodMessage, transport: "tcp", hex: "abcd", tcp_stream_hex: "0002abcd" };
    expect(dnsFixtureProblems(dnsFile([goodMessage, tcp]))).toEqual([]);
  });

  test("names each way a message breaks the format", () => {
    expect(
      dnsFixtureProblems(
        dnsFile([{ ...goodMessage, transport: "quic", direction: "reply", hex: "" }]),
      ),
    ).toEqual([
      'messages[0].transport is not "udp" or "tcp"',
      'messages[0].direction is not "query" or "response"',
      "messages[0].hex is not non-empty lowercase hex",
    ]);
    expect(dnsFixtureProblems(dnsFile([{ ...goodMessage, transport: "tcp" }]))).toEqual([
      'messages[0] has no "tcp_stream_hex"',
      "messages[0].tcp_stream_hex is not non-empty lowercase hex",
    ]);
    expect(
      dnsFixtureProblems(
        dnsFile([{ ...goodMessage, transport: "tcp", tcp_stream_hex: "0002beef" }]),
      ),
    ).toEqual(["messages[0].hex is not part of its tcp_stream_hex"]);
    expect(dnsFixtureProblems(dnsFile([{ ...goodMessage, tcp_stream_hex: "00" }]))).toEqual([
      'messages[0] has unexpected "tcp_stream_hex"',
    ]);
  });
});

describe("formatFixtureJson", () => {
  test("round-trips through JSON.parse and keeps arrays of strings on one line", () => {
    const value = {
      a: { "ip.src": ["198.18.0.1", "198.18.0.2"], empty: [] },
      list: [{ n: 1 }, { n: 2 }],
      s: "x",
    };
    const text = formatFixtureJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('    "ip.src": ["198.18.0.1", "198.18.0.2"],\n');
    expect(text).toContain('  "list": [\n    {\n      "n": 1\n    },\n');
    expect(text.endsWith("}\n")).toBe(true);
  });

  test("leaves out undefined properties, as JSON.stringify does", () => {
    expect(JSON.parse(formatFixtureJson({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });
});

async function committed(path: string): Promise<unknown> {
  const file = Bun.file(join(REPO_ROOT, path));
  expect(await file.exists()).toBe(true);
  return JSON.parse(await file.text());
}

describe(`the committed ${IP_FIXTURE_PATH}`, async () => {
  const value = await committed(IP_FIXTURE_PATH);
  const fixture = value as IpCaptureFixture;

  test("matches the format", () => {
    expect(ipFixtureProblems(value)).toEqual([]);
  });

  test("covers every scenario, each with packets numbered 0, 1, 2, ...", () => {
    expect([...new Set(fixture.packets.map((p) => p.scenario))]).toEqual([...SCENARIO_NAMES]);
    for (const scenario of SCENARIO_NAMES) {
      const indexes = fixture.packets.filter((p) => p.scenario === scenario).map((p) => p.index);
      expect(indexes).toEqual(indexes.map((_, i) => i));
    }
  });

  test("holds whole IP packets: valid hex as long as the header says, version as tshark says", () => {
    for (const packet of fixture.packets) {
      expect(isHex(packet.hex)).toBe(true);
      const bytes = bytesOf(packet.hex);
      const summary = summarizeIp(bytes);
      expect(summary).toBeDefined();
      if (summary?.version === 4) {
        expect(packet.fields["ip.version"]?.[0]).toBe("4");
        expect(Number(packet.fields["ip.len"]?.[0])).toBe(bytes.byteLength);
      } else {
        expect(Number(packet.fields["ipv6.plen"]?.[0]) + 40).toBe(bytes.byteLength);
      }
    }
  });

  test("has no checksum tshark found bad, and only first fragments' ICMP checksums unverified", () => {
    for (const packet of fixture.packets) {
      for (const [field, values] of Object.entries(packet.fields)) {
        if (!field.endsWith("checksum.status")) continue;
        expect(values).not.toContain("0");
        if (values.includes("2")) {
          expect(packet.scenario).toStartWith("fragmented-ping");
          expect(field).toMatch(/^icmpv?6?\.checksum\.status$/);
        }
      }
    }
  });

  test("includes fragments of both families, ICMP errors of both families, TCP and UDP", () => {
    const has = (field: string, value: string) =>
      fixture.packets.some((p) => p.fields[field]?.includes(value));
    expect(has("ip.flags.mf", "1")).toBe(true);
    expect(has("ipv6.fraghdr.more", "1")).toBe(true);
    expect(has("icmp.type", "3")).toBe(true);
    expect(has("icmpv6.type", "1")).toBe(true);
    expect(has("tcp.dstport", "80")).toBe(true);
    expect(has("udp.dstport", "53")).toBe(true);
  });
});

describe(`the committed ${DNS_FIXTURE_PATH}`, async () => {
  const value = await committed(DNS_FIXTURE_PATH);
  const fixture = value as DnsCaptureFixture;
  const ipFixture = (await committed(IP_FIXTURE_PATH)) as IpCaptureFixture;

  test("matches the format", () => {
    expect(dnsFixtureProblems(value)).toEqual([]);
  });

  test("covers every DNS scenario with at least one query and one response", () => {
    expect([...new Set(fixture.messages.map((m) => m.scenario))]).toEqual([...DNS_SCENARIO_NAMES]);
    for (const scenario of DNS_SCENARIO_NAMES) {
      const directions = fixture.messages
        .filter((m) => m.scenario === scenario)
        .map((m) => m.direction);
      expect(directions).toContain("query");
      expect(directions).toContain("response");
    }
  });

  test("gives each message the id, direction and fields tshark decoded from its own bytes", () => {
    for (const message of fixture.messages) {
      const bytes = bytesOf(message.hex);
      expect(message.fields["dns.id"]).toEqual([dnsIdOf(bytes)]);
      const response = ((bytes[2] ?? 0) & 0x80) !== 0;
      expect(message.direction).toBe(response ? "response" : "query");
      expect(message.fields["dns.flags.response"]).toEqual([response ? "1" : "0"]);
    }
  });

  test("answers every record type the scenarios ask for, and NXDOMAIN", () => {
    const responseTypes = new Set(
      fixture.messages
        .filter((m) => m.direction === "response")
        .flatMap((m) => m.fields["dns.resp.type"] ?? []),
    );
    for (const type of ["1", "28", "5", "12", "33", "16", "65", "41"])
      expect(responseTypes).toContain(type);
    expect(fixture.messages.some((m) => m.fields["dns.flags.rcode"]?.[0] === "3")).toBe(true);
    const noedns = fixture.messages.filter((m) => m.scenario === "noedns");
    expect(noedns.every((m) => m.fields["dns.rr.udp_payload_size"] === undefined)).toBe(true);
  });

  test("splits each TCP stream into exactly the messages recorded for it", () => {
    const streams = new Map<string, string[]>();
    for (const message of fixture.messages) {
      if (message.tcp_stream_hex === undefined) continue;
      streams.set(message.tcp_stream_hex, [
        ...(streams.get(message.tcp_stream_hex) ?? []),
        message.hex,
      ]);
    }
    expect(streams.size).toBeGreaterThanOrEqual(6);
    for (const [stream, messages] of streams) {
      expect(splitLengthPrefixed(bytesOf(stream)).map((m) => toHex(m.message))).toEqual(messages);
    }
    const keepOpen = fixture.messages.filter(
      (m) => m.scenario === "tcp-keepopen" && m.direction === "query",
    );
    expect(keepOpen.length).toBe(3);
    expect(new Set(keepOpen.map((m) => m.tcp_stream_hex)).size).toBe(1);
  });

  test("holds the same bytes as the IP packets of its scenario", () => {
    for (const message of fixture.messages) {
      const summaries = ipFixture.packets
        .filter((p) => p.scenario === message.scenario)
        .map((p) => summarizeIp(bytesOf(p.hex))?.transport)
        .filter(
          (t) =>
            t !== undefined &&
            (message.direction === "query" ? t.dstPort === 53 : t.srcPort === 53),
        );
      if (message.transport === "udp") {
        expect(summaries.map((t) => t && toHex(t.payload))).toContain(message.hex);
      } else {
        const segments = summaries.flatMap((t) => (t?.protocol === "tcp" ? [t] : []));
        expect(toHex(reassembleTcpDirection(segments))).toBe(message.tcp_stream_hex ?? "");
      }
    }
  });
});
