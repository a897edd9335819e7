import { MAX_LABEL_BYTES, MAX_NAME_BYTES, MAX_POINTER_OFFSET, POINTER_TAG } from "./constants.ts";
import type { InvalidNameReason } from "./errors.ts";
import type { WireWriter } from "./wire-writer.ts";

/**
 * Writes a presentation-form name ("www.example.com", a final dot optional, "." or "" for the
 * root). With `allowPointer` its longest suffix already in the message becomes a pointer.
 *
 * Suffixes match case-insensitively (ASCII only, RFC 4343) and each is recorded with the case it
 * was first written in: a later "WWW.Example.COM" points at an earlier "www.example.com" and so
 * decodes in the earlier case, as every compressing server does.
 */
export function writeName(writer: WireWriter, name: string, allowPointer: boolean): boolean {
  if (allowPointer && writer.lastTarget >= 0 && name === writer.lastName) {
    if (!writer.reserve(2)) return false;
    writer.u16((POINTER_TAG << 8) | writer.lastTarget);
    return true;
  }
  const wireLength = parseName(name);
  if (wireLength < 0) return writer.fail({ kind: "invalid-name", name, reason: parseProblem });

  const table = writer.names;
  let inlineLabels = labelCount;
  let target = -1;
  if (writer.compress && labelCount > 0) {
    hashSuffixes();
    if (allowPointer) {
      for (let i = 0; i < labelCount && target < 0; i++) {
        const hash = suffixHashes[i] ?? 0;
        for (let slot = table.find(hash, table.firstProbe(hash)); slot >= 0; ) {
          const offset = table.offsetAt(slot);
          if (suffixWrittenAt(writer.bytes, i, offset)) {
            inlineLabels = i;
            target = offset;
            break;
          }
          slot = table.find(hash, table.nextProbe(slot));
        }
      }
    }
  }

  const inlineBytes = inlineLabels === labelCount ? wireLength : (labelStarts[inlineLabels] ?? 0);
  if (!writer.reserve(inlineBytes + (target >= 0 ? 2 : 0))) return false;
  const start = writer.pos;
  writer.raw(wire, inlineBytes);
  if (target >= 0) writer.u16((POINTER_TAG << 8) | target);

  if (writer.compress && labelCount > 0) {
    for (let i = 0; i < inlineLabels; i++) {
      const offset = start + (labelStarts[i] ?? 0);
      if (offset <= MAX_POINTER_OFFSET) table.add(suffixHashes[i] ?? 0, offset);
    }
    const whole = inlineLabels === 0 ? target : start;
    writer.lastName = name;
    writer.lastTarget = whole <= MAX_POINTER_OFFSET ? whole : -1;
  }
  return true;
}

/** Why the last `parseName` returned -1. */
let parseProblem: InvalidNameReason = "bad-character";

// Encoding is synchronous and never re-entered, so the name being written lives in module
// scratch: its uncompressed wire form, where each label starts in it, and each suffix's hash.
const MAX_LABELS = 127;
const wire = new Uint8Array(MAX_NAME_BYTES);
const labelStarts = new Int32Array(MAX_LABELS + 1);
const suffixHashes = new Int32Array(MAX_LABELS);
let labelCount = 0;

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;

/**
 * Turns a presentation-form name into its uncompressed wire form in `wire`, checking it: labels
 * of 1 to 63 bytes, 255 bytes in all, printable ASCII with `\X` and `\DDD` escapes. Returns the
 * wire length, or -1 with `parseProblem` set.
 */
function parseName(name: string): number {
  const length = name.length;
  labelCount = 0;
  if (length === 0 || (length === 1 && name.charCodeAt(0) === DOT)) {
    wire[0] = 0;
    return 1;
  }
  let labelStart = 0; // where the current label's length byte goes
  let pos = 1;
  let i = 0;
  while (i < length) {
    let c = name.charCodeAt(i);
    if (c === DOT) {
      const labelLength = pos - labelStart - 1;
      if (labelLength === 0) return problem("empty-label");
      wire[labelStart] = labelLength;
      labelStarts[labelCount++] = labelStart;
      labelStart = pos;
      pos++;
      i++;
      continue;
    }
    if (c === BACKSLASH) {
      const next = name.charCodeAt(i + 1);
      if (next >= DIGIT_0 && next <= DIGIT_0 + 9) {
        c = decimalEscape(name, i);
        if (c < 0) return problem("bad-escape");
        i += 4;
      } else if (next >= 0x20 && next < 0x7f) {
        c = next;
        i += 2;
      } else {
        return problem("bad-escape");
      }
    } else if (c > 0x20 && c < 0x7f) {
      i++;
    } else {
      return problem("bad-character");
    }
    if (pos - labelStart > MAX_LABEL_BYTES) return problem("label-too-long");
    if (pos >= MAX_NAME_BYTES - 1) return problem("name-too-long");
    wire[pos++] = c;
  }
  const lastLength = pos - labelStart - 1;
  if (lastLength === 0) {
    pos--; // a final dot: the root label goes where the next label's length would have
  } else {
    wire[labelStart] = lastLength;
    labelStarts[labelCount++] = labelStart;
  }
  wire[pos++] = 0;
  labelStarts[labelCount] = pos - 1;
  return pos;
}

function problem(reason: InvalidNameReason): -1 {
  parseProblem = reason;
  return -1;
}

/** The byte of the `\DDD` escape at `at`, or -1 when it is not three digits up to 255. */
function decimalEscape(name: string, at: number): number {
  let value = 0;
  for (let k = 1; k <= 3; k++) {
    const digit = name.charCodeAt(at + k) - DIGIT_0;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value <= 255 ? value : -1;
}

/** ASCII lowercase of a byte; other bytes are unchanged (RFC 4343). */
function fold(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/** Hashes each suffix of the parsed name (labels i to the end), case-insensitively. */
function hashSuffixes(): void {
  let hash = 0x2f5a1b3d;
  for (let label = labelCount - 1; label >= 0; label--) {
    const start = labelStarts[label] ?? 0;
    const length = wire[start] ?? 0;
    hash = Math.imul(hash ^ length, FNV_PRIME);
    for (let i = start + 1; i <= start + length; i++) {
      hash = Math.imul(hash ^ fold(wire[i] ?? 0), FNV_PRIME);
    }
    suffixHashes[label] = hash;
  }
}

const FNV_PRIME = 0x01000193;

/**
 * Whether labels `from`.. of the parsed name equal, ignoring ASCII case, the name written at
 * `offset` of `bytes`. Names there are our own output, so their pointers lead backwards; the
 * hop limit only guards against a caller that changed the buffer mid-encode.
 */
function suffixWrittenAt(bytes: Uint8Array, from: number, offset: number): boolean {
  let pos = offset;
  let hops = 0;
  for (let label = from; label <= labelCount; label++) {
    let length = bytes[pos] ?? 0;
    while (length >= POINTER_TAG) {
      if (++hops > MAX_LABELS) return false;
      pos = ((length & ~POINTER_TAG) << 8) | (bytes[pos + 1] ?? 0);
      length = bytes[pos] ?? 0;
    }
    const start = labelStarts[label] ?? 0;
    if (length !== wire[start]) return false;
    for (let i = 1; i <= length; i++) {
      if (fold(bytes[pos + i] ?? 0) !== fold(wire[start + i] ?? 0)) return false;
    }
    pos += length + 1;
  }
  return true;
}
