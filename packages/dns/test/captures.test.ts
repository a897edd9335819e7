/**
 * Real traffic: dig queries and dnsmasq responses captured over UDP and TCP by tools/capture
 * (packages/dns/fixtures/captures.json). Each message is decoded and compared with tshark's own
 * dissection of it, re-encoded and decoded again, and each TCP stream is reassembled.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  type ResourceRecord,
  recordTypeCode,
  TcpFrameDecoder,
} from "@fz/dns";
import { fromHex, toHex } from "./bytes.ts";

interface CapturedMessage {
  readonly scenario: string;
  readonly transport: "udp" | "tcp";
  readonly direction: "query" | "response";
  readonly hex: string;
  readonly tcp_stream_hex?: string;
  readonly fields: Readonly<Record<string, readonly string[]>>;
}

const FIXTURE = join(import.meta.dir, "../fixtures/captures.json");

function loadCaptures(): CapturedMessage[] {
  let text: string;
  try {
    text = readFileSync(FIXTURE, "utf8");
  } catch (cause) {
    throw new Error(
      `${FIXTURE} is missing: generate it with tools/capture (bun run capture there)`,
      { cause },
    );
  }
  const parsed = JSON.parse(text) as { messages?: CapturedMessage[] };
  if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) {
    throw new Error(`${FIXTURE} has no messages`);
  }
  return parsed.messages;
}

const captures = loadCaptures();
const label = (m: CapturedMessage, i: number) =>
  `${i}: ${m.scenario} ${m.transport} ${m.direction}`;

function decoded(bytes: Uint8Array): DnsMessage {
  const result = decodeMessage(bytes);
  if ("kind" in result) throw new Error(`decode failed: ${JSON.stringify(result)}`);
  return result;
}

describe("captured messages", () => {
  test("cover every scenario the capture tool records", () => {
    const scenarios = new Set(captures.map((m) => m.scenario));
    for (const wanted of ["a-record", "aaaa-record", "cname-chain", "ptr-v4", "srv-record"]) {
      expect(scenarios.has(wanted)).toBe(true);
    }
    for (const wanted of ["txt-record", "https-record", "nxdomain", "edns", "tcp-keepopen"]) {
      expect(scenarios.has(wanted)).toBe(true);
    }
  });

  test.each(captures.map((m, i) => [label(m, i), m] as const))(
    "%s decodes to what tshark dissected",
    (_, capture) => {
      const message = decoded(fromHex(capture.hex));
      expect(message.isResponse).toBe(capture.direction === "response");
      const ours = tsharkFields(message);
      const compared = Object.keys(capture.fields);
      expect(compared.length).toBeGreaterThan(10);
      for (const field of compared) {
        expect({ field, values: ours[field] ?? [] }).toEqual({
          field,
          values: [...(capture.fields[field] ?? [])],
        });
      }
    },
  );

  test.each(captures.map((m, i) => [label(m, i), m] as const))(
    "%s re-encodes to a message that decodes the same",
    (_, capture) => {
      const message = decoded(fromHex(capture.hex));
      const bytes = encodeMessage(message);
      if (!(bytes instanceof Uint8Array)) throw new Error(`encode failed: ${bytes.kind}`);
      expect(decoded(bytes)).toEqual(message);
      // The same bytes, except where the sender left a name uncompressed that we compress
      // (dnsmasq writes CNAME targets in full): then ours is shorter.
      const original = fromHex(capture.hex);
      if (bytes.length === original.length) expect(toHex(bytes)).toBe(capture.hex);
      else expect(bytes.length).toBeLessThan(original.length);
    },
  );
});

describe("captured TCP streams", () => {
  const streams = new Map<string, { stream: string; messages: string[] }>();
  for (const capture of captures) {
    if (capture.transport !== "tcp") continue;
    const key = `${capture.scenario} ${capture.direction}`;
    if (capture.tcp_stream_hex === undefined) throw new Error(`${key}: no tcp_stream_hex`);
    const entry = streams.get(key) ?? { stream: capture.tcp_stream_hex, messages: [] };
    expect(entry.stream).toBe(capture.tcp_stream_hex);
    entry.messages.push(capture.hex);
    streams.set(key, entry);
  }

  test("include a connection carrying several queries and responses", () => {
    const counts = [...streams.values()].map((entry) => entry.messages.length);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(3);
  });

  test.each([...streams.entries()])(
    "%s: the framing decoder finds every message, however the stream is split",
    (_, { stream, messages }) => {
      const bytes = fromHex(stream);
      for (const chunkSize of [bytes.length, 1, 2, 3, 7, 64]) {
        const decoder = new TcpFrameDecoder();
        const found: string[] = [];
        for (let at = 0; at < bytes.length; at += chunkSize) {
          decoder.push(bytes.slice(at, at + chunkSize));
          for (let m = decoder.poll(); m !== undefined; m = decoder.poll()) found.push(toHex(m));
        }
        expect({ chunkSize, messages: found }).toEqual({ chunkSize, messages });
        expect(decoder.bufferedBytes).toBe(0);
      }
      for (const message of messages) decoded(fromHex(message));
    },
  );
});

/**
 * The values tshark 4.0 prints with `-T fields` for our decoding of a message: every occurrence,
 * in wire order. tshark files an SRV record's owner under dns.srv.name, not dns.resp.name, gives
 * the OPT pseudo-record a name and type but no TTL, and prints header rcode bits only.
 */
function tsharkFields(message: DnsMessage): Record<string, string[]> {
  const records = [...message.answers, ...message.authorities, ...message.additionals];
  const bit = (value: boolean) => (value ? "1" : "0");
  const hex16 = (value: number) => `0x${value.toString(16).padStart(4, "0")}`;
  const name = (value: string) => (value === "." ? "<Root>" : value);
  const ofType = <T extends ResourceRecord["type"]>(type: T) =>
    records.filter((r): r is ResourceRecord & { type: T } => r.type === type);
  const opt = message.edns === undefined ? [] : [message.edns];
  return {
    "dns.id": [hex16(message.id)],
    "dns.flags.response": [bit(message.isResponse)],
    "dns.flags.opcode": [String(message.opcode)],
    "dns.flags.rcode": [String(message.rcode & 0xf)],
    "dns.flags.recdesired": [bit(message.recursionDesired)],
    "dns.flags.recavail": [bit(message.recursionAvailable)],
    "dns.flags.authoritative": [bit(message.authoritative)],
    "dns.flags.truncated": [bit(message.truncated)],
    "dns.flags.authenticated": [bit(message.authenticData)],
    "dns.flags.checkdisable": [bit(message.checkingDisabled)],
    "dns.flags.z": [bit(message.z)],
    "dns.count.queries": [String(message.questions.length)],
    "dns.count.answers": [String(message.answers.length)],
    "dns.count.auth_rr": [String(message.authorities.length)],
    "dns.count.add_rr": [String(message.additionals.length + opt.length)],
    "dns.qry.name": message.questions.map((q) => name(q.name)),
    "dns.qry.type": message.questions.map((q) => String(recordTypeCode(q.type))),
    "dns.qry.class": message.questions.map((q) => hex16(q.class)),
    "dns.resp.name": [
      ...records.filter((r) => r.type !== "SRV").map((r) => name(r.name)),
      ...opt.map(() => "<Root>"),
    ],
    "dns.resp.type": [
      ...records.map((r) => String(recordTypeCode(r.type))),
      ...opt.map(() => "41"),
    ],
    "dns.resp.ttl": records.map((r) => String(r.ttl)),
    "dns.a": ofType("A").map((r) => ipv4Text(r.address)),
    "dns.aaaa": ofType("AAAA").map((r) => ipv6Text(r.address)),
    "dns.cname": ofType("CNAME").map((r) => name(r.target)),
    "dns.ptr.domain_name": ofType("PTR").map((r) => name(r.target)),
    "dns.ns": ofType("NS").map((r) => name(r.target)),
    "dns.srv.target": ofType("SRV").map((r) => name(r.target)),
    "dns.srv.port": ofType("SRV").map((r) => String(r.port)),
    "dns.srv.priority": ofType("SRV").map((r) => String(r.priority)),
    "dns.srv.weight": ofType("SRV").map((r) => String(r.weight)),
    "dns.txt": ofType("TXT").flatMap((r) => r.strings.map((s) => new TextDecoder().decode(s))),
    "dns.rr.udp_payload_size": opt.map((edns) => String(edns.udpPayloadSize)),
    "dns.resp.z.do": opt.map((edns) => bit(edns.dnssecOk)),
    "dns.resp.edns0_version": opt.map((edns) => String(edns.version)),
  };
}

function ipv4Text(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as ::. */
function ipv6Text(bytes: Uint8Array): string {
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0),
  );
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  return best < 0 ? text(0, 8) : `${text(0, best)}::${text(best + bestLength, 8)}`;
}
