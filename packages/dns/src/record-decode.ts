import { DO_BIT, RecordType, RR_FIXED_BYTES } from "./constants.ts";
import type { BadRdataReason } from "./errors.ts";
import type { Edns, EdnsOption, ResourceRecord } from "./message.ts";
import { readName } from "./name-decode.ts";
import type { WireReader } from "./wire-reader.ts";

/** The OPT pseudo-record as read, before the message decoder checks where it was. */
export interface OptRecord {
  readonly type: "OPT";
  readonly name: string;
  readonly offset: number;
  /** The upper 8 bits of the 12-bit rcode. */
  readonly extendedRcode: number;
  readonly edns: Edns;
}

/** Reads the record at `reader.pos` and moves past it. */
export function readRecord(reader: WireReader): ResourceRecord | OptRecord | undefined {
  const start = reader.pos;
  const name = readName(reader, start);
  if (name === undefined) return undefined;
  const fixed = reader.pos;
  const bytes = reader.bytes;
  if (fixed + RR_FIXED_BYTES > bytes.length) return reader.truncated(fixed);
  const type = reader.u16(fixed);
  const klass = reader.u16(fixed + 2);
  const ttl = reader.u32(fixed + 4);
  const rdlength = reader.u16(fixed + 8);
  const rdStart = fixed + RR_FIXED_BYTES;
  const rdEnd = rdStart + rdlength;
  if (rdEnd > bytes.length) {
    return reader.fail({
      kind: "rdata-overrun",
      section: reader.section,
      offset: fixed + 8,
      rdlength,
      available: bytes.length - rdStart,
    });
  }
  const record = readRdata(reader, name, start, type, klass, ttl, rdStart, rdEnd);
  reader.pos = rdEnd;
  return record;
}

function readRdata(
  reader: WireReader,
  name: string,
  start: number,
  type: number,
  klass: number,
  ttl: number,
  rdStart: number,
  rdEnd: number,
): ResourceRecord | OptRecord | undefined {
  const bytes = reader.bytes;
  const rdlength = rdEnd - rdStart;
  switch (type) {
    case RecordType.A:
      if (rdlength !== 4) return badRdata(reader, rdStart, type, "length");
      return { name, type: "A", class: klass, ttl, address: reader.u32(rdStart) };
    case RecordType.AAAA:
      if (rdlength !== 16) return badRdata(reader, rdStart, type, "length");
      return { name, type: "AAAA", class: klass, ttl, address: bytes.subarray(rdStart, rdEnd) };
    case RecordType.CNAME:
    case RecordType.NS:
    case RecordType.PTR: {
      const target = readRdataName(reader, rdStart, rdEnd, type, true);
      if (target === undefined) return undefined;
      const typeName = type === RecordType.CNAME ? "CNAME" : type === RecordType.NS ? "NS" : "PTR";
      return { name, type: typeName, class: klass, ttl, target };
    }
    case RecordType.MX: {
      if (rdlength < 3) return badRdata(reader, rdStart, type, "length");
      const exchange = readRdataName(reader, rdStart + 2, rdEnd, type, true);
      if (exchange === undefined) return undefined;
      return { name, type: "MX", class: klass, ttl, preference: reader.u16(rdStart), exchange };
    }
    case RecordType.SRV: {
      if (rdlength < 7) return badRdata(reader, rdStart, type, "length");
      const target = readRdataName(reader, rdStart + 6, rdEnd, type, true);
      if (target === undefined) return undefined;
      return {
        name,
        type: "SRV",
        class: klass,
        ttl,
        priority: reader.u16(rdStart),
        weight: reader.u16(rdStart + 2),
        port: reader.u16(rdStart + 4),
        target,
      };
    }
    case RecordType.SOA:
      return readSoa(reader, name, klass, ttl, rdStart, rdEnd);
    case RecordType.TXT:
      return readTxt(reader, name, klass, ttl, rdStart, rdEnd);
    case RecordType.SVCB:
    case RecordType.HTTPS: {
      if (rdlength < 3) return badRdata(reader, rdStart, type, "length");
      const target = readRdataName(reader, rdStart + 2, rdEnd, type, false);
      if (target === undefined) return undefined;
      return {
        name,
        type: type === RecordType.HTTPS ? "HTTPS" : "SVCB",
        class: klass,
        ttl,
        priority: reader.u16(rdStart),
        target,
        params: bytes.subarray(reader.pos, rdEnd),
      };
    }
    case RecordType.OPT:
      return readOpt(reader, name, start, klass, ttl, rdStart, rdEnd);
    default:
      return { name, type, class: klass, ttl, rdata: bytes.subarray(rdStart, rdEnd) };
  }
}

function badRdata(
  reader: WireReader,
  offset: number,
  type: number,
  reason: BadRdataReason,
): undefined {
  return reader.fail({ kind: "bad-rdata", section: reader.section, offset, type, reason });
}

/**
 * Reads a name inside rdata and leaves `reader.pos` after it. With `exact` it must end where the
 * rdata ends; otherwise it must only end inside it. Pointers may reach anywhere earlier in
 * the message, but the name's inline part must stay inside the rdata.
 */
function readRdataName(
  reader: WireReader,
  at: number,
  rdEnd: number,
  type: number,
  exact: boolean,
): string | undefined {
  const name = readName(reader, at);
  if (name === undefined) return undefined;
  if (reader.pos > rdEnd) return badRdata(reader, at, type, "name-overrun");
  if (exact && reader.pos !== rdEnd) return badRdata(reader, reader.pos, type, "trailing");
  return name;
}

function readSoa(
  reader: WireReader,
  name: string,
  klass: number,
  ttl: number,
  rdStart: number,
  rdEnd: number,
): ResourceRecord | undefined {
  const mname = readRdataName(reader, rdStart, rdEnd, RecordType.SOA, false);
  if (mname === undefined) return undefined;
  const rname = readRdataName(reader, reader.pos, rdEnd, RecordType.SOA, false);
  if (rname === undefined) return undefined;
  const at = reader.pos;
  if (at + 20 !== rdEnd) {
    return badRdata(reader, at, RecordType.SOA, at + 20 > rdEnd ? "length" : "trailing");
  }
  return {
    name,
    type: "SOA",
    class: klass,
    ttl,
    mname,
    rname,
    serial: reader.u32(at),
    refresh: reader.u32(at + 4),
    retry: reader.u32(at + 8),
    expire: reader.u32(at + 12),
    minimum: reader.u32(at + 16),
  };
}

function readTxt(
  reader: WireReader,
  name: string,
  klass: number,
  ttl: number,
  rdStart: number,
  rdEnd: number,
): ResourceRecord | undefined {
  const bytes = reader.bytes;
  const strings: Uint8Array[] = [];
  let at = rdStart;
  while (at < rdEnd) {
    const length = bytes[at] ?? 0;
    if (at + 1 + length > rdEnd) return badRdata(reader, at, RecordType.TXT, "item-overrun");
    strings.push(bytes.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  return { name, type: "TXT", class: klass, ttl, strings };
}

function readOpt(
  reader: WireReader,
  name: string,
  offset: number,
  udpPayloadSize: number,
  ttl: number,
  rdStart: number,
  rdEnd: number,
): OptRecord | undefined {
  const bytes = reader.bytes;
  const options: EdnsOption[] = [];
  let at = rdStart;
  while (at < rdEnd) {
    if (at + 4 > rdEnd) return badRdata(reader, at, RecordType.OPT, "item-overrun");
    const length = reader.u16(at + 2);
    if (at + 4 + length > rdEnd) return badRdata(reader, at, RecordType.OPT, "item-overrun");
    options.push({ code: reader.u16(at), data: bytes.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return {
    type: "OPT",
    name,
    offset,
    extendedRcode: ttl >>> 24,
    edns: {
      udpPayloadSize,
      version: (ttl >>> 16) & 0xff,
      dnssecOk: (ttl & DO_BIT) !== 0,
      reservedFlags: ttl & 0x7fff,
      options,
    },
  };
}
