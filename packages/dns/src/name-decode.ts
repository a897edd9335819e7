import { MAX_LABEL_BYTES, MAX_NAME_BYTES, POINTER_TAG } from "./constants.ts";
import type { WireReader } from "./wire-reader.ts";

/**
 * Reads the possibly compressed name at `offset` into presentation form and leaves `reader.pos`
 * just after its inline part (after the first pointer, or after the root label).
 *
 * Termination: every pointer must point before the start of the run of labels that led to it,
 * so the runs start at strictly decreasing offsets and no input can loop. Compressors only ever
 * point at earlier names, which always satisfies this.
 */
export function readName(reader: WireReader, offset: number): string | undefined {
  const bytes = reader.bytes;
  const end = bytes.length;
  let pos = offset;
  let runStart = offset;
  let inlineEnd = -1;
  let wireBytes = 1; // the root label
  let chars = 0;
  let labelCount = 0;
  let plain = true;
  let suffix: string | undefined;
  for (;;) {
    if (pos >= end) return reader.truncated(pos);
    const length = bytes[pos] ?? 0;
    if (length === 0) {
      if (inlineEnd < 0) inlineEnd = pos + 1;
      break;
    }
    if (length >= POINTER_TAG) {
      if (pos + 1 >= end) return reader.truncated(pos);
      const target = ((length & ~POINTER_TAG) << 8) | (bytes[pos + 1] ?? 0);
      if (target >= pos) return reader.fail({ kind: "forward-pointer", offset: pos, target });
      if (target >= runStart) return reader.fail({ kind: "pointer-loop", offset: pos, target });
      if (inlineEnd < 0) inlineEnd = pos + 2;
      const cached = findCachedName(target);
      if (cached >= 0) {
        wireBytes += cachedWireBytes[cached] ?? 0;
        if (wireBytes > MAX_NAME_BYTES) return reader.fail({ kind: "name-too-long", offset });
        suffix = cachedNames[cached];
        break;
      }
      pos = runStart = target;
      continue;
    }
    if (length > MAX_LABEL_BYTES)
      return reader.fail({ kind: "label-too-long", offset: pos, length });
    wireBytes += length + 1;
    if (wireBytes > MAX_NAME_BYTES) return reader.fail({ kind: "name-too-long", offset });
    if (pos + 1 + length > end) return reader.truncated(pos);
    if (chars !== 0) scratch[chars++] = DOT;
    labelLengths[labelCount++] = length;
    for (let i = pos + 1; i <= pos + length; i++) {
      const byte = bytes[i] ?? 0;
      if (byte < FIRST_PLAIN || byte > LAST_PLAIN || byte === DOT || byte === BACKSLASH)
        plain = false;
      scratch[chars++] = byte;
    }
    pos += 1 + length;
  }
  reader.pos = inlineEnd;
  let name = chars === 0 ? "" : plain ? scratch.toString("latin1", 0, chars) : escaped(labelCount);
  if (suffix !== undefined) name = name === "" ? suffix : `${name}.${suffix}`;
  if (name === "") return ".";
  if (chars !== 0 && (bytes[offset] ?? 0) < POINTER_TAG) cacheName(offset, name, wireBytes);
  return name;
}

/** Forgets the names cached for pointer targets; call before decoding another message. */
export function resetNameCache(): void {
  cachedCount = 0;
}

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const FIRST_PLAIN = 0x21;
const LAST_PLAIN = 0x7e;

// Decoding is synchronous and never re-entered, so one scratch area serves every call: the
// labels and dots of the longest name, fewer than 255 bytes. It is a Buffer for toString("latin1"),
// which makes a string of its bytes in half the time of TextDecoder.decode (that needs a
// subarray, and every typed-array view costs about 30 ns in JavaScriptCore).
const scratch = Buffer.alloc(MAX_NAME_BYTES);
const labelLengths = new Uint8Array(MAX_NAME_BYTES >> 1);

/** Builds the presentation form of the labels in scratch when some byte needs an escape. */
function escaped(labelCount: number): string {
  let out = "";
  let at = 0;
  for (let label = 0; label < labelCount; label++) {
    if (label !== 0) {
      out += ".";
      at++; // the separator scratch holds between labels
    }
    const length = labelLengths[label] ?? 0;
    for (let i = 0; i < length; i++) out += escapeByte(scratch[at++] ?? 0);
  }
  return out;
}

function escapeByte(byte: number): string {
  if (byte === DOT) return "\\.";
  if (byte === BACKSLASH) return "\\\\";
  if (byte >= FIRST_PLAIN && byte <= LAST_PLAIN) return String.fromCharCode(byte);
  return `\\${byte.toString().padStart(3, "0")}`;
}

// A few whole names by the offset where they start inline: responses point their answers' owner
// names at the question, so the answers reuse its string instead of decoding it again.
const CACHE_SLOTS = 8;
const cachedOffsets = new Int32Array(CACHE_SLOTS);
const cachedWireBytes = new Int32Array(CACHE_SLOTS);
const cachedNames: string[] = new Array<string>(CACHE_SLOTS).fill("");
let cachedCount = 0;

function findCachedName(offset: number): number {
  const count = Math.min(cachedCount, CACHE_SLOTS);
  for (let i = 0; i < count; i++) if (cachedOffsets[i] === offset) return i;
  return -1;
}

function cacheName(offset: number, name: string, wireBytes: number): void {
  const slot = cachedCount++ % CACHE_SLOTS;
  cachedOffsets[slot] = offset;
  cachedWireBytes[slot] = wireBytes - 1; // without the root label, which the referrer counts
  cachedNames[slot] = name;
}
