import { DO_BIT, RecordType, RR_FIXED_BYTES } from "./constants.ts";
import type { Edns, ResourceRecord } from "./message.ts";
import { writeName } from "./name-encode.ts";
import { recordTypeCode } from "./record-type.ts";
import type { WireWriter } from "./wire-writer.ts";

/**
 * Writes one record. Names in RFC 1035 rdata (CNAME, NS, PTR, MX, SOA) may be compressed; SRV
 * (RFC 2782) and SVCB/HTTPS (RFC 9460) targets and raw rdata are written as given.
 */
export function writeRecord(writer: WireWriter, record: ResourceRecord): boolean {
  const type = recordTypeCode(record.type);
  if (type === RecordType.OPT) return writer.fail({ kind: "opt-as-record" });
  if (!writeName(writer, record.name, true)) return false;
  if (!checkU16(writer, "type", type) || !checkU16(writer, "class", record.class)) return false;
  if (!checkU32(writer, "ttl", record.ttl)) return false;
  if (!writer.reserve(RR_FIXED_BYTES)) return false;
  writer.u16(type);
  writer.u16(record.class);
  writer.u32(record.ttl);
  const lengthAt = writer.pos;
  writer.pos += 2;
  if (!writeRdata(writer, record)) return false;
  return finishRdata(writer, lengthAt);
}

/** Writes the OPT pseudo-record for `edns`, carrying the upper 8 bits of a 12-bit rcode. */
export function writeOpt(writer: WireWriter, edns: Edns, extendedRcode: number): boolean {
  if (!checkU16(writer, "edns.udpPayloadSize", edns.udpPayloadSize)) return false;
  if (!checkU8(writer, "edns.version", edns.version)) return false;
  if (!checkRange(writer, "edns.reservedFlags", edns.reservedFlags, 0x7fff)) return false;
  if (!writer.reserve(1 + RR_FIXED_BYTES)) return false;
  writer.u8(0); // the root name
  writer.u16(RecordType.OPT);
  writer.u16(edns.udpPayloadSize);
  writer.u8(extendedRcode);
  writer.u8(edns.version);
  writer.u16((edns.dnssecOk ? DO_BIT : 0) | edns.reservedFlags);
  const lengthAt = writer.pos;
  writer.pos += 2;
  for (const option of edns.options) {
    if (!checkU16(writer, "edns.option.code", option.code)) return false;
    if (!writer.reserve(4 + option.data.length)) return false;
    writer.u16(option.code);
    writer.u16(option.data.length);
    writer.raw(option.data);
  }
  return finishRdata(writer, lengthAt);
}

/** Checks that `value` is a whole number from 0 to 65535. */
export function checkU16(writer: WireWriter, field: string, value: number): boolean {
  return (value & 0xffff) === value || writer.fail({ kind: "invalid-field", field, value });
}

/** Checks that `value` is a whole number from 0 to `max` (at most 2^31 - 1). */
export function checkRange(writer: WireWriter, field: string, value: number, max: number): boolean {
  return (
    ((value | 0) === value && value >= 0 && value <= max) ||
    writer.fail({ kind: "invalid-field", field, value })
  );
}

function checkU8(writer: WireWriter, field: string, value: number): boolean {
  return (value & 0xff) === value || writer.fail({ kind: "invalid-field", field, value });
}

function checkU32(writer: WireWriter, field: string, value: number): boolean {
  return value >>> 0 === value || writer.fail({ kind: "invalid-field", field, value });
}

function finishRdata(writer: WireWriter, lengthAt: number): boolean {
  const length = writer.pos - lengthAt - 2;
  if (length > 0xffff) return writer.fail({ kind: "invalid-field", field: "rdata", value: length });
  writer.setU16(lengthAt, length);
  return true;
}

function writeRdata(writer: WireWriter, record: ResourceRecord): boolean {
  switch (record.type) {
    case "A":
      if (!checkU32(writer, "address", record.address) || !writer.reserve(4)) return false;
      writer.u32(record.address);
      return true;
    case "AAAA":
      if (record.address.length !== 16) {
        return writer.fail({ kind: "invalid-field", field: "address", value: record.address });
      }
      if (!writer.reserve(16)) return false;
      writer.raw(record.address);
      return true;
    case "CNAME":
    case "NS":
    case "PTR":
      return writeName(writer, record.target, true);
    case "MX":
      if (!checkU16(writer, "preference", record.preference) || !writer.reserve(2)) return false;
      writer.u16(record.preference);
      return writeName(writer, record.exchange, true);
    case "SOA":
      return writeSoa(writer, record);
    case "SRV":
      if (!checkU16(writer, "priority", record.priority)) return false;
      if (!checkU16(writer, "weight", record.weight)) return false;
      if (!checkU16(writer, "port", record.port) || !writer.reserve(6)) return false;
      writer.u16(record.priority);
      writer.u16(record.weight);
      writer.u16(record.port);
      return writeName(writer, record.target, false);
    case "TXT":
      for (const text of record.strings) {
        if (text.length > 255) {
          return writer.fail({ kind: "invalid-field", field: "txt", value: text.length });
        }
        if (!writer.reserve(1 + text.length)) return false;
        writer.u8(text.length);
        writer.raw(text);
      }
      return true;
    case "SVCB":
    case "HTTPS":
      if (!checkU16(writer, "priority", record.priority) || !writer.reserve(2)) return false;
      writer.u16(record.priority);
      if (!writeName(writer, record.target, false)) return false;
      if (!writer.reserve(record.params.length)) return false;
      writer.raw(record.params);
      return true;
    default:
      if (!writer.reserve(record.rdata.length)) return false;
      writer.raw(record.rdata);
      return true;
  }
}

function writeSoa(writer: WireWriter, record: Extract<ResourceRecord, { type: "SOA" }>): boolean {
  if (!writeName(writer, record.mname, true) || !writeName(writer, record.rname, true)) {
    return false;
  }
  const times = [record.serial, record.refresh, record.retry, record.expire, record.minimum];
  if (!writer.reserve(20)) return false;
  for (const [i, value] of times.entries()) {
    if (!checkU32(writer, SOA_FIELDS[i] ?? "soa", value)) return false;
    writer.u32(value);
  }
  return true;
}

const SOA_FIELDS = ["serial", "refresh", "retry", "expire", "minimum"];
