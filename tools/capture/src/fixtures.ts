/**
 * The two fixture formats (read by the tests of @fz/ip-packet and @fz/dns), a checker for each,
 * and a stable JSON layout so a re-run changes only the bytes that really changed.
 */
import type { FieldValues } from "./tshark.ts";

export interface ToolVersions {
  readonly tcpdump: string;
  readonly tshark: string;
  readonly dnsmasq: string;
  readonly kernel: string;
}

export interface IpPacketFixture {
  readonly scenario: string;
  /** 0-based position among the scenario's kept IP packets. */
  readonly index: number;
  /** The IP packet from the first byte of its IP header, lowercase hex. */
  readonly hex: string;
  readonly fields: FieldValues;
}

export interface IpCaptureFixture {
  readonly source: string;
  readonly tool_versions: ToolVersions;
  readonly packets: readonly IpPacketFixture[];
}

export interface DnsMessageFixture {
  readonly scenario: string;
  readonly transport: "udp" | "tcp";
  readonly direction: "query" | "response";
  /** One DNS message, without the TCP length prefix. */
  readonly hex: string;
  /** TCP only: that direction's whole byte stream, length prefixes included. */
  readonly tcp_stream_hex?: string;
  readonly fields: FieldValues;
}

export interface DnsCaptureFixture {
  readonly source: string;
  readonly tool_versions: ToolVersions;
  readonly messages: readonly DnsMessageFixture[];
}

/** The path the fixtures name as their source, relative to the repository root. */
export const FIXTURE_SOURCE = "tools/capture/src/capture-fixtures.ts";
/** Where the fixtures live, relative to the repository root. */
export const IP_FIXTURE_PATH = "packages/ip-packet/fixtures/captures.json";
export const DNS_FIXTURE_PATH = "packages/dns/fixtures/captures.json";

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** True for a non-empty, even-length string of lowercase hex digits. */
export function isHex(value: string): boolean {
  return value.length > 0 && value.length % 2 === 0 && /^[0-9a-f]+$/.test(value);
}

/**
 * Lists what is wrong with a parsed IP fixture file (empty when it matches the format).
 * Field arrays must be non-empty arrays of strings.
 */
export function ipFixtureProblems(value: unknown): string[] {
  const problems = headerProblems(value, "packets");
  if (problems.length > 0 || !isRecord(value)) return problems;
  const packets = value.packets as unknown[];
  for (const [i, packet] of packets.entries()) {
    const where = `packets[${i}]`;
    if (!isRecord(packet)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    expectKeys(packet, ["scenario", "index", "hex", "fields"], where, problems);
    if (typeof packet.scenario !== "string" || packet.scenario === "")
      problems.push(`${where}.scenario is not a non-empty string`);
    if (!Number.isInteger(packet.index) || (packet.index as number) < 0)
      problems.push(`${where}.index is not a whole number >= 0`);
    if (typeof packet.hex !== "string" || !isHex(packet.hex))
      problems.push(`${where}.hex is not non-empty lowercase hex`);
    fieldProblems(packet.fields, `${where}.fields`, problems);
  }
  return problems;
}

/** Lists what is wrong with a parsed DNS fixture file (empty when it matches the format). */
export function dnsFixtureProblems(value: unknown): string[] {
  const problems = headerProblems(value, "messages");
  if (problems.length > 0 || !isRecord(value)) return problems;
  const messages = value.messages as unknown[];
  for (const [i, message] of messages.entries()) {
    const where = `messages[${i}]`;
    if (!isRecord(message)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    const tcp = message.transport === "tcp";
    expectKeys(
      message,
      tcp
        ? ["scenario", "transport", "direction", "hex", "tcp_stream_hex", "fields"]
        : ["scenario", "transport", "direction", "hex", "fields"],
      where,
      problems,
    );
    if (typeof message.scenario !== "string" || message.scenario === "")
      problems.push(`${where}.scenario is not a non-empty string`);
    if (message.transport !== "udp" && message.transport !== "tcp")
      problems.push(`${where}.transport is not "udp" or "tcp"`);
    if (message.direction !== "query" && message.direction !== "response")
      problems.push(`${where}.direction is not "query" or "response"`);
    if (typeof message.hex !== "string" || !isHex(message.hex))
      problems.push(`${where}.hex is not non-empty lowercase hex`);
    if (tcp) {
      const stream = message.tcp_stream_hex;
      if (typeof stream !== "string" || !isHex(stream))
        problems.push(`${where}.tcp_stream_hex is not non-empty lowercase hex`);
      else if (typeof message.hex === "string" && !stream.includes(message.hex))
        problems.push(`${where}.hex is not part of its tcp_stream_hex`);
    }
    fieldProblems(message.fields, `${where}.fields`, problems);
  }
  return problems;
}

/**
 * JSON with two-space indentation in which arrays of strings stay on one line, so a fixture
 * reads one field per line and a re-run's diff shows only changed values.
 */
export function formatFixtureJson(value: unknown): string {
  return `${layout(value, "")}\n`;
}

function layout(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((item) => typeof item !== "object" || item === null)) {
      return `[${value.map((item) => JSON.stringify(item)).join(", ")}]`;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((item) => inner + layout(item, inner)).join(",\n")}\n${indent}]`;
  }
  if (isRecord(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    const lines = entries.map(
      ([key, item]) => `${inner}${JSON.stringify(key)}: ${layout(item, inner)}`,
    );
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function headerProblems(value: unknown, listKey: "packets" | "messages"): string[] {
  if (!isRecord(value)) return ["the file is not a JSON object"];
  const problems: string[] = [];
  expectKeys(value, ["source", "tool_versions", listKey], "the file", problems);
  if (value.source !== FIXTURE_SOURCE)
    problems.push(`source is not ${JSON.stringify(FIXTURE_SOURCE)}`);
  const versions = value.tool_versions;
  if (!isRecord(versions)) {
    problems.push("tool_versions is not an object");
  } else {
    expectKeys(versions, ["tcpdump", "tshark", "dnsmasq", "kernel"], "tool_versions", problems);
    for (const [tool, version] of Object.entries(versions)) {
      if (typeof version !== "string" || version === "")
        problems.push(`tool_versions.${tool} is not a non-empty string`);
    }
  }
  if (!Array.isArray(value[listKey])) problems.push(`${listKey} is not an array`);
  return problems;
}

function fieldProblems(fields: unknown, where: string, problems: string[]): void {
  if (!isRecord(fields)) {
    problems.push(`${where} is not an object`);
    return;
  }
  for (const [name, values] of Object.entries(fields)) {
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === "string")
    )
      problems.push(`${where}["${name}"] is not a non-empty array of strings`);
  }
}

function expectKeys(
  record: Record<string, unknown>,
  keys: readonly string[],
  where: string,
  problems: string[],
): void {
  const actual = Object.keys(record);
  for (const key of keys) if (!actual.includes(key)) problems.push(`${where} has no "${key}"`);
  for (const key of actual)
    if (!keys.includes(key)) problems.push(`${where} has unexpected "${key}"`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
