/**
 * Rebuilds one direction of a TCP connection from captured segments, and splits a DNS-over-TCP
 * byte stream (RFC 1035 4.2.2: each message behind a two-byte length) into messages.
 */
import { CaptureContentError } from "./errors.ts";

export interface TcpSegment {
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

export interface LengthPrefixedMessage {
  /** Offset of the message's first byte (after its length prefix) in the stream. */
  readonly offset: number;
  readonly message: Uint8Array;
}

export const TCP_FLAG_SYN = 0x02;

/**
 * Concatenates the payloads of one direction's segments in sequence order, dropping
 * retransmitted bytes; throws CaptureContentError when bytes are missing from the capture.
 */
export function reassembleTcpDirection(segments: readonly TcpSegment[]): Uint8Array {
  const first = segments[0];
  if (first === undefined) return new Uint8Array(0);
  const syn = segments.find((segment) => (segment.flags & TCP_FLAG_SYN) !== 0);
  const withData = segments.filter((segment) => segment.payload.byteLength > 0);
  const base =
    syn !== undefined
      ? (syn.seq + 1) >>> 0
      : withData.reduce(
          (lowest, segment) => (serialBefore(segment.seq, lowest.seq) ? segment : lowest),
          first,
        ).seq;
  const ordered = withData
    .map((segment) => ({ start: relative(segment.seq, base), payload: segment.payload }))
    .sort((a, b) => a.start - b.start);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (const { start, payload } of ordered) {
    if (start > length) {
      throw new CaptureContentError(
        `TCP stream has a hole: bytes ${length} to ${start - 1} were not captured`,
      );
    }
    const end = start + payload.byteLength;
    if (end <= length) continue;
    chunks.push(payload.subarray(length - start));
    length = end;
  }
  return concatBytes(chunks);
}

/** Splits a DNS-over-TCP stream at its length prefixes; throws if the last message is cut. */
export function splitLengthPrefixed(stream: Uint8Array): LengthPrefixedMessage[] {
  const messages: LengthPrefixedMessage[] = [];
  let offset = 0;
  while (offset < stream.byteLength) {
    if (offset + 2 > stream.byteLength) {
      throw new CaptureContentError(
        `DNS TCP stream ends inside a length prefix at byte ${offset} of ${stream.byteLength}`,
      );
    }
    const length = ((stream[offset] ?? 0) << 8) | (stream[offset + 1] ?? 0);
    const start = offset + 2;
    if (start + length > stream.byteLength) {
      throw new CaptureContentError(
        `DNS TCP stream announces a ${length}-byte message at byte ${offset} but only ${stream.byteLength - start} bytes follow`,
      );
    }
    messages.push({ offset: start, message: stream.subarray(start, start + length) });
    offset = start + length;
  }
  return messages;
}

/** Joins byte arrays into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** RFC 1982 serial number order: a comes before b when b is less than 2^31 ahead of it. */
function serialBefore(a: number, b: number): boolean {
  const distance = (b - a) >>> 0;
  return distance !== 0 && distance < 0x80000000;
}

function relative(seq: number, base: number): number {
  return (seq - base) >>> 0;
}
