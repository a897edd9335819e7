/**
 * The baseline: byte patching with no parsed form, the least work any responder can do. It does
 * not produce the question's name as a string (which a resolver needs to match resources), checks
 * only what it must to stay in bounds, and answers only A/AAAA-style single-question queries.
 */

const HEADER = 12;
const OPT = 41;

/**
 * Writes into `out` the answer to `query` with one record per rdata (TTL 1, owner pointing at the
 * question), echoing an OPT if the query had one. Returns the length, or -1 for anything unusual.
 */
export function handRolledAnswer(
  query: Uint8Array,
  type: number,
  rdatas: readonly Uint8Array[],
  out: Uint8Array,
): number {
  if (query.length < HEADER || u16(query, 4) !== 1) return -1;
  const nameEnd = skipName(query, HEADER);
  if (nameEnd < 0 || nameEnd + 4 > query.length) return -1;
  const questionEnd = nameEnd + 4;
  let dnssecOk = -1;
  let pos = questionEnd;
  const records = u16(query, 6) + u16(query, 8) + u16(query, 10);
  for (let i = 0; i < records; i++) {
    const fixed = skipName(query, pos);
    if (fixed < 0 || fixed + 10 > query.length) return -1;
    const end = fixed + 10 + u16(query, fixed + 8);
    if (end > query.length) return -1;
    if (u16(query, fixed) === OPT) dnssecOk = query[fixed + 6] ?? 0;
    pos = end;
  }

  out.set(query.subarray(0, questionEnd));
  out[2] = ((query[2] ?? 0) & 0x79) | 0x80; // QR, keep opcode and RD, clear AA and TC
  out[3] = 0x80; // RA, rcode 0
  out[6] = 0;
  out[7] = rdatas.length;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = dnssecOk < 0 ? 0 : 1;
  let at = questionEnd;
  for (const rdata of rdatas) {
    out[at] = 0xc0;
    out[at + 1] = HEADER;
    out[at + 2] = type >>> 8;
    out[at + 3] = type;
    out[at + 4] = 0;
    out[at + 5] = 1;
    out[at + 6] = 0;
    out[at + 7] = 0;
    out[at + 8] = 0;
    out[at + 9] = 1;
    out[at + 10] = 0;
    out[at + 11] = rdata.length;
    out.set(rdata, at + 12);
    at += 12 + rdata.length;
  }
  if (dnssecOk >= 0) {
    out.set(OPT_ECHO, at);
    out[at + 7] = dnssecOk & 0x80;
    at += OPT_ECHO.length;
  }
  return at;
}

/**
 * Walks a message's structure without building anything: the floor for a parse. Returns the
 * number of records, or -1 when the message is malformed.
 */
export function walkMessage(message: Uint8Array): number {
  if (message.length < HEADER) return -1;
  let pos = HEADER;
  for (let i = u16(message, 4); i > 0; i--) {
    pos = skipName(message, pos);
    if (pos < 0 || pos + 4 > message.length) return -1;
    pos += 4;
  }
  const records = u16(message, 6) + u16(message, 8) + u16(message, 10);
  for (let i = 0; i < records; i++) {
    const fixed = skipName(message, pos);
    if (fixed < 0 || fixed + 10 > message.length) return -1;
    pos = fixed + 10 + u16(message, fixed + 8);
    if (pos > message.length) return -1;
  }
  return pos === message.length ? records : -1;
}

const OPT_ECHO = Uint8Array.of(0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0);

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/** The offset after the name at `pos` (a pointer ends it), or -1. */
function skipName(bytes: Uint8Array, pos: number): number {
  let at = pos;
  for (;;) {
    const length = bytes[at];
    if (length === undefined) return -1;
    if (length === 0) return at + 1;
    if (length >= 0xc0) return at + 2 <= bytes.length ? at + 2 : -1;
    if (length > 63) return -1;
    at += 1 + length;
  }
}
