import { HEADER_BYTES, HeaderField, HeaderFlag } from "./constants.ts";
import type { DecodeError, Section } from "./errors.ts";
import type { DnsMessage, Question, ResourceRecord } from "./message.ts";
import { readName, resetNameCache } from "./name-decode.ts";
import { type OptRecord, readRecord } from "./record-decode.ts";
import { recordTypeValue } from "./record-type.ts";
import { WireReader } from "./wire-reader.ts";

/**
 * Decodes one DNS message, or says why it is malformed; never throws. The message's byte fields
 * are views of `bytes` (no copies): copy them before reusing the buffer.
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage | DecodeError {
  if (bytes.length < HEADER_BYTES) return { kind: "truncated", section: "header", offset: 0 };
  resetNameCache();
  const reader = new MessageReader(bytes);
  const flags = reader.u16(HeaderField.FLAGS);
  reader.pos = HEADER_BYTES;

  reader.section = "question";
  const questionCount = reader.u16(HeaderField.QDCOUNT);
  let questions: Question[] = NONE;
  for (let i = 0; i < questionCount; i++) {
    if (reader.pos === bytes.length) return countExceedsData("question", questionCount, i);
    const question = readQuestion(reader);
    if (question === undefined) return failure(reader);
    if (i === 0) questions = [];
    questions.push(question);
  }

  const answers = readSection(reader, "answer", reader.u16(HeaderField.ANCOUNT));
  if (answers === undefined) return failure(reader);
  const authorities = readSection(reader, "authority", reader.u16(HeaderField.NSCOUNT));
  if (authorities === undefined) return failure(reader);
  const additionals = readAdditionals(reader, reader.u16(HeaderField.ARCOUNT));
  if (additionals === undefined) return failure(reader);

  if (reader.pos !== bytes.length) {
    return { kind: "trailing-bytes", offset: reader.pos, extra: bytes.length - reader.pos };
  }
  const opt = reader.opt;
  return {
    id: reader.u16(HeaderField.ID),
    isResponse: (flags & HeaderFlag.QR) !== 0,
    opcode: (flags >>> 11) & 0xf,
    authoritative: (flags & HeaderFlag.AA) !== 0,
    truncated: (flags & HeaderFlag.TC) !== 0,
    recursionDesired: (flags & HeaderFlag.RD) !== 0,
    recursionAvailable: (flags & HeaderFlag.RA) !== 0,
    z: (flags & HeaderFlag.Z) !== 0,
    authenticData: (flags & HeaderFlag.AD) !== 0,
    checkingDisabled: (flags & HeaderFlag.CD) !== 0,
    rcode: opt === undefined ? flags & 0xf : (opt.extendedRcode << 4) | (flags & 0xf),
    questions,
    answers,
    authorities,
    additionals,
    edns: opt === undefined ? undefined : opt.edns,
  };
}

// Empty sections share one frozen array instead of allocating three per query.
const NONE: never[] = Object.freeze([]) as never[];

class MessageReader extends WireReader {
  opt: OptRecord | undefined = undefined;
}

function failure(reader: WireReader): DecodeError {
  return reader.error ?? { kind: "truncated", section: reader.section, offset: reader.pos };
}

function countExceedsData(section: Section, declared: number, found: number): DecodeError {
  return { kind: "count-exceeds-data", section, declared, found };
}

function readQuestion(reader: WireReader): Question | undefined {
  const name = readName(reader, reader.pos);
  if (name === undefined) return undefined;
  const at = reader.pos;
  if (at + 4 > reader.bytes.length) return reader.truncated(at);
  reader.pos = at + 4;
  return { name, type: recordTypeValue(reader.u16(at)), class: reader.u16(at + 2) };
}

function readSection(
  reader: MessageReader,
  section: Section,
  count: number,
): ResourceRecord[] | undefined {
  reader.section = section;
  let records: ResourceRecord[] = NONE;
  for (let i = 0; i < count; i++) {
    if (reader.pos === reader.bytes.length) {
      return reader.fail(countExceedsData(section, count, i));
    }
    const record = readRecord(reader);
    if (record === undefined) return undefined;
    if (record.type === "OPT") {
      return reader.fail({ kind: "bad-opt", offset: record.offset, reason: "outside-additional" });
    }
    if (i === 0) records = [];
    records.push(record);
  }
  return records;
}

function readAdditionals(reader: MessageReader, count: number): ResourceRecord[] | undefined {
  reader.section = "additional";
  let records: ResourceRecord[] = NONE;
  for (let i = 0; i < count; i++) {
    if (reader.pos === reader.bytes.length) {
      return reader.fail(countExceedsData("additional", count, i));
    }
    const record = readRecord(reader);
    if (record === undefined) return undefined;
    if (record.type === "OPT") {
      if (reader.opt !== undefined) {
        return reader.fail({ kind: "bad-opt", offset: record.offset, reason: "duplicate" });
      }
      if (record.name !== ".") {
        return reader.fail({ kind: "bad-opt", offset: record.offset, reason: "owner-not-root" });
      }
      reader.opt = record;
      continue;
    }
    if (records === NONE) records = [];
    records.push(record);
  }
  return records;
}
