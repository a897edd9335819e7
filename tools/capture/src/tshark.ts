/**
 * Runs tshark over a pcap with `-T fields` and parses what it prints: one line per frame,
 * fields split by FIELD_SEPARATOR, a field's occurrences split by OCCURRENCE_SEPARATOR. Both are
 * ASCII control characters (unit and record separator) that no value of ours contains; a value
 * that did would change the column count, which the parser checks.
 */
import { run } from "./command.ts";
import { TsharkOutputError } from "./errors.ts";

/** Every occurrence of each field tshark reported for one frame; absent fields have no key. */
export type FieldValues = Record<string, string[]>;

export interface TsharkFrame {
  /** 1-based, the order of the records in the pcap. */
  readonly frameNumber: number;
  readonly fields: FieldValues;
}

export const FIELD_SEPARATOR = "\x1f";
export const OCCURRENCE_SEPARATOR = "\x1e";

/**
 * The IP-layer fields the fixtures carry. Four names asked for do not exist in tshark 4.0 and are
 * replaced by the ones that do (see RENAMED_FIELDS).
 */
export const IP_FIELDS = [
  "ip.version",
  "ip.hdr_len",
  "ip.len",
  "ip.id",
  "ip.flags.df",
  "ip.flags.mf",
  "ip.frag_offset",
  "ip.ttl",
  "ip.proto",
  "ip.checksum",
  "ip.checksum.status",
  "ip.src",
  "ip.dst",
  "ipv6.plen",
  "ipv6.nxt",
  "ipv6.hlim",
  "ipv6.src",
  "ipv6.dst",
  "ipv6.fraghdr.offset",
  "ipv6.fraghdr.more",
  "ipv6.fraghdr.ident",
  "udp.srcport",
  "udp.dstport",
  "udp.length",
  "udp.checksum",
  "udp.checksum.status",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "tcp.hdr_len",
  "tcp.flags",
  "tcp.window_size_value",
  "tcp.checksum",
  "tcp.checksum.status",
  "tcp.len",
  "icmp.type",
  "icmp.code",
  "icmp.checksum",
  "icmp.checksum.status",
  "icmp.ident",
  "icmp.seq",
  "icmpv6.type",
  "icmpv6.code",
  "icmpv6.checksum",
  "icmpv6.checksum.status",
  "icmpv6.echo.identifier",
  "icmpv6.echo.sequence_number",
] as const;

/** Field names from the issue that tshark 4.0 spells differently, and the names used instead. */
export const RENAMED_FIELDS: Readonly<Record<string, string>> = {
  "ipv6.fragment.offset": "ipv6.fraghdr.offset",
  "ipv6.fragment.more": "ipv6.fraghdr.more",
  "ipv6.fragment.id": "ipv6.fraghdr.ident",
  "icmp.checksum_status": "icmp.checksum.status",
};

/** The DNS fields the fixtures carry. */
export const DNS_FIELDS = [
  "dns.id",
  "dns.flags.response",
  "dns.flags.opcode",
  "dns.flags.rcode",
  "dns.flags.recdesired",
  "dns.flags.recavail",
  "dns.flags.authoritative",
  "dns.flags.truncated",
  "dns.count.queries",
  "dns.count.answers",
  "dns.count.auth_rr",
  "dns.count.add_rr",
  "dns.qry.name",
  "dns.qry.type",
  "dns.qry.class",
  "dns.resp.name",
  "dns.resp.type",
  "dns.resp.ttl",
  "dns.a",
  "dns.aaaa",
  "dns.cname",
  "dns.ptr.domain_name",
  "dns.srv.target",
  "dns.srv.port",
  "dns.srv.priority",
  "dns.srv.weight",
  "dns.txt",
  "dns.rr.udp_payload_size",
] as const;

/** Fields whose value tells whether tshark found a checksum good ("1"), bad ("0") or unverified ("2"). */
export const CHECKSUM_STATUS_FIELDS = [
  "ip.checksum.status",
  "udp.checksum.status",
  "tcp.checksum.status",
  "icmp.checksum.status",
  "icmpv6.checksum.status",
] as const;

/** tshark's values for a checksum status field (epan/proto.h, proto_checksum_enum_e). */
export const CHECKSUM_STATUS = { bad: "0", good: "1", unverified: "2" } as const;

/** Turns on the IP, UDP and TCP checksum checks (ICMP and ICMPv6 are always checked). */
export const CHECKSUM_PREFERENCES = [
  "ip.check_checksum:TRUE",
  "udp.check_checksum:TRUE",
  "tcp.check_checksum:TRUE",
] as const;

/** Decodes each packet on its own: no IP reassembly, so fields describe only that packet's bytes. */
export const PER_PACKET_PREFERENCES = ["ip.defragment:FALSE", "ipv6.defragment:FALSE"] as const;

/** The argv of a `tshark -T fields` run; the first column is always frame.number. */
export function tsharkFieldsArgv(
  pcapPath: string,
  fields: readonly string[],
  preferences: readonly string[],
): string[] {
  return [
    "tshark",
    "-r",
    pcapPath,
    "-n",
    "-T",
    "fields",
    "-E",
    "header=n",
    "-E",
    "quote=n",
    "-E",
    "occurrence=a",
    "-E",
    `separator=${FIELD_SEPARATOR}`,
    "-E",
    `aggregator=${OCCURRENCE_SEPARATOR}`,
    ...preferences.flatMap((preference) => ["-o", preference]),
    "-e",
    "frame.number",
    ...fields.flatMap((field) => ["-e", field]),
  ];
}

/** Parses `tshark -T fields` output made with tsharkFieldsArgv for the same `fields`. */
export function parseTsharkFields(stdout: string, fields: readonly string[]): TsharkFrame[] {
  const frames: TsharkFrame[] = [];
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const columns = line.split(FIELD_SEPARATOR);
    if (columns.length !== fields.length + 1) {
      throw new TsharkOutputError(
        `expected ${fields.length + 1} columns (frame.number and ${fields.length} fields), got ${columns.length} in: ${JSON.stringify(line)}`,
      );
    }
    const [frameColumn, ...valueColumns] = columns;
    const frameNumber = Number(frameColumn);
    if (!Number.isInteger(frameNumber) || frameNumber < 1) {
      throw new TsharkOutputError(`frame.number is not a frame number: ${JSON.stringify(line)}`);
    }
    const values: FieldValues = {};
    valueColumns.forEach((column, i) => {
      const field = fields[i];
      if (field !== undefined && column !== "") values[field] = column.split(OCCURRENCE_SEPARATOR);
    });
    frames.push({ frameNumber, fields: values });
  }
  return frames;
}

/** Runs tshark over a pcap and parses its per-frame fields. */
export async function runTsharkFields(
  pcapPath: string,
  fields: readonly string[],
  preferences: readonly string[],
): Promise<TsharkFrame[]> {
  const { stdout } = await run(tsharkFieldsArgv(pcapPath, fields, preferences), {
    timeoutMs: 60_000,
  });
  return parseTsharkFields(stdout, fields);
}

/** The names among `fields` that this tshark does not know (`tshark -G fields`). */
export async function unknownTsharkFields(fields: readonly string[]): Promise<string[]> {
  const { stdout } = await run(["tshark", "-G", "fields"], { timeoutMs: 120_000 });
  const known = new Set(stdout.split("\n").map((line) => line.split("\t")[2]));
  return fields.filter((field) => !known.has(field));
}
