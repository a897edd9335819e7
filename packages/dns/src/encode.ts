import { HEADER_BYTES, HeaderFlag, MAX_MESSAGE_BYTES } from "./constants.ts";
import type { EncodeError, Section } from "./errors.ts";
import type { DnsMessage, ResourceRecord } from "./message.ts";
import { writeName } from "./name-encode.ts";
import { checkRange, checkU16, writeOpt, writeRecord } from "./record-encode.ts";
import { recordTypeCode } from "./record-type.ts";
import { WireWriter } from "./wire-writer.ts";

/** How to encode a message. */
export interface EncodeOptions {
  /** Compress names by pointing at earlier ones (RFC 1035 4.1.4). Default true. */
  readonly compress?: boolean;
}

/** Encodes a message into a new buffer of exactly its length, or says why it cannot. */
export function encodeMessage(
  message: DnsMessage,
  options?: EncodeOptions,
): Uint8Array | EncodeError {
  const length = encodeMessageInto(message, scratch, options);
  if (typeof length !== "number") {
    return length.kind === "buffer-too-small"
      ? { kind: "message-too-long", limit: MAX_MESSAGE_BYTES }
      : length;
  }
  return scratch.slice(0, length);
}

/**
 * Encodes a message at the start of `target` (a packet buffer, say) and returns its length, or
 * `buffer-too-small` when it does not fit: a UDP responder then sends `truncatedResponse(...)`.
 */
export function encodeMessageInto(
  message: DnsMessage,
  target: Uint8Array,
  options?: EncodeOptions,
): number | EncodeError {
  writer.reset(target, options?.compress ?? true);
  const result = writeMessage(writer, message)
    ? writer.pos
    : (writer.error ?? { kind: "buffer-too-small", capacity: target.length });
  writer.reset(EMPTY, true); // drops the reference to the caller's buffer
  return result;
}

// Encoding is synchronous and never re-entered: one writer and one 64 KiB scratch serve all calls.
const writer = new WireWriter();
const scratch = new Uint8Array(MAX_MESSAGE_BYTES);
const EMPTY = new Uint8Array(0);

/** TSIG (RFC 8945) and SIG(0) (RFC 2931) must stay the last additional record. */
const TSIG = 250;
const SIG = 24;

function writeMessage(w: WireWriter, message: DnsMessage): boolean {
  const { edns, rcode } = message;
  if (!checkU16(w, "id", message.id) || !checkRange(w, "opcode", message.opcode, 0xf)) return false;
  if (!checkRange(w, "rcode", rcode, 0xfff)) return false;
  if (rcode > 0xf && edns === undefined) return w.fail({ kind: "rcode-needs-edns", rcode });
  const additionalCount = message.additionals.length + (edns === undefined ? 0 : 1);
  if (
    !checkCount(w, "question", message.questions.length) ||
    !checkCount(w, "answer", message.answers.length) ||
    !checkCount(w, "authority", message.authorities.length) ||
    !checkCount(w, "additional", additionalCount) ||
    !w.reserve(HEADER_BYTES)
  ) {
    return false;
  }
  w.u16(message.id);
  w.u16(flagsOf(message));
  w.u16(message.questions.length);
  w.u16(message.answers.length);
  w.u16(message.authorities.length);
  w.u16(additionalCount);

  for (const question of message.questions) {
    const type = recordTypeCode(question.type);
    if (!writeName(w, question.name, true)) return false;
    if (!checkU16(w, "type", type) || !checkU16(w, "class", question.class)) return false;
    if (!w.reserve(4)) return false;
    w.u16(type);
    w.u16(question.class);
  }
  if (!writeRecords(w, message.answers, 0, message.answers.length)) return false;
  if (!writeRecords(w, message.authorities, 0, message.authorities.length)) return false;

  const additionals = message.additionals;
  const last = additionals[additionals.length - 1];
  const lastType = last === undefined ? 0 : recordTypeCode(last.type);
  const optAt = lastType === TSIG || lastType === SIG ? additionals.length - 1 : additionals.length;
  if (!writeRecords(w, additionals, 0, optAt)) return false;
  if (edns !== undefined && !writeOpt(w, edns, rcode >>> 4)) return false;
  if (!writeRecords(w, additionals, optAt, additionals.length)) return false;
  return true;
}

function writeRecords(
  w: WireWriter,
  records: readonly ResourceRecord[],
  from: number,
  to: number,
): boolean {
  for (let i = from; i < to; i++) {
    const record = records[i];
    if (record !== undefined && !writeRecord(w, record)) return false;
  }
  return true;
}

function checkCount(w: WireWriter, section: Section, count: number): boolean {
  return count <= 0xffff || w.fail({ kind: "too-many-records", section, count });
}

function flagsOf(message: DnsMessage): number {
  return (
    (message.isResponse ? HeaderFlag.QR : 0) |
    (message.opcode << 11) |
    (message.authoritative ? HeaderFlag.AA : 0) |
    (message.truncated ? HeaderFlag.TC : 0) |
    (message.recursionDesired ? HeaderFlag.RD : 0) |
    (message.recursionAvailable ? HeaderFlag.RA : 0) |
    (message.z ? HeaderFlag.Z : 0) |
    (message.authenticData ? HeaderFlag.AD : 0) |
    (message.checkingDisabled ? HeaderFlag.CD : 0) |
    (message.rcode & 0xf)
  );
}
