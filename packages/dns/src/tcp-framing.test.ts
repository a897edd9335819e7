import { describe, expect, test } from "bun:test";
import { decodeMessage, encodeMessage, encodeTcpFrame, TcpFrameDecoder } from "@fz/dns";
import fc from "fast-check";
import { message } from "../test/arbitraries.ts";
import { fromHex, toHex } from "../test/bytes.ts";
import { QUERY, QUERY_BYTES, RESPONSE_BYTES } from "../test/vectors.ts";

function frame(bytes: Uint8Array): Uint8Array {
  const framed = encodeTcpFrame(bytes);
  if (!(framed instanceof Uint8Array)) throw new Error(framed.kind);
  return framed;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function drain(decoder: TcpFrameDecoder): Uint8Array[] {
  const messages: Uint8Array[] = [];
  for (let next = decoder.poll(); next !== undefined; next = decoder.poll()) messages.push(next);
  return messages;
}

describe("encodeTcpFrame", () => {
  test("prefixes the message with its length, big-endian", () => {
    expect(toHex(frame(QUERY_BYTES))).toBe(`0038${toHex(QUERY_BYTES)}`);
    expect(toHex(frame(new Uint8Array(0x1234)).subarray(0, 2))).toBe("1234");
    expect(toHex(frame(new Uint8Array(0)))).toBe("0000");
  });

  test("refuses a message longer than 65535 bytes", () => {
    expect(encodeTcpFrame(new Uint8Array(65536))).toEqual({
      kind: "message-too-long",
      limit: 65535,
    });
    expect(frame(new Uint8Array(65535)).length).toBe(65537);
  });
});

describe("TcpFrameDecoder", () => {
  test("yields each message of a chunk holding several", () => {
    const decoder = new TcpFrameDecoder();
    decoder.push(concat([frame(QUERY_BYTES), frame(RESPONSE_BYTES), frame(QUERY_BYTES)]));
    expect(drain(decoder).map(toHex)).toEqual(
      [QUERY_BYTES, RESPONSE_BYTES, QUERY_BYTES].map(toHex),
    );
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("waits for the rest of a message, and for the second byte of a split length prefix", () => {
    const stream = frame(RESPONSE_BYTES);
    const decoder = new TcpFrameDecoder();
    decoder.push(stream.subarray(0, 1));
    expect(decoder.poll()).toBeUndefined();
    decoder.push(stream.subarray(1, 40));
    expect(decoder.poll()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(40);
    decoder.push(stream.subarray(40));
    expect(toHex(decoder.poll() ?? new Uint8Array(0))).toBe(toHex(RESPONSE_BYTES));
    expect(decoder.poll()).toBeUndefined();
  });

  test("a message inside one chunk is a view of it; one across chunks is a copy", () => {
    const exact = frame(QUERY_BYTES);
    const single = new TcpFrameDecoder();
    single.push(exact);
    expect(single.poll()?.buffer).toBe(exact.buffer);

    const chunk = concat([frame(QUERY_BYTES), frame(RESPONSE_BYTES).subarray(0, 10)]);
    const decoder = new TcpFrameDecoder();
    decoder.push(chunk);
    const first = decoder.poll();
    expect(first?.buffer).toBe(chunk.buffer);
    expect(first?.byteOffset).toBe(2);
    decoder.push(frame(RESPONSE_BYTES).subarray(10));
    const second = decoder.poll();
    expect(second?.buffer).not.toBe(chunk.buffer);
    expect(toHex(second ?? new Uint8Array(0))).toBe(toHex(RESPONSE_BYTES));
  });

  test("an empty frame is an empty message, which decodes to a truncation error", () => {
    const decoder = new TcpFrameDecoder();
    decoder.push(fromHex("0000"));
    const empty = decoder.poll();
    expect(empty?.length).toBe(0);
    expect(decodeMessage(empty ?? new Uint8Array(1))).toMatchObject({ kind: "truncated" });
  });

  test("reassembles any chunking of a stream of messages", () => {
    const messages = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        message().map((m) => {
          const bytes = encodeMessage(m);
          return bytes instanceof Uint8Array ? bytes : new Uint8Array(0);
        }),
      ),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(
        messages,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (parts, cutPoints, pollEarly) => {
          const stream = concat(parts.map(frame));
          const cuts = [...new Set(cutPoints.map((c) => c % (stream.length + 1)))].sort(
            (x, y) => x - y,
          );
          const decoder = new TcpFrameDecoder();
          const received: Uint8Array[] = [];
          let from = 0;
          for (const [i, cut] of [...cuts, stream.length].entries()) {
            decoder.push(stream.subarray(from, cut));
            from = cut;
            if (pollEarly[i] ?? true) received.push(...drain(decoder));
          }
          received.push(...drain(decoder));
          expect(received.map(toHex)).toEqual(parts.map(toHex));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("one byte at a time works too", () => {
    const stream = concat([frame(QUERY_BYTES), frame(RESPONSE_BYTES)]);
    const decoder = new TcpFrameDecoder();
    const received: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) {
      decoder.push(stream.subarray(i, i + 1));
      received.push(...drain(decoder));
    }
    expect(received.map((bytes) => decodeMessage(bytes))).toEqual([
      QUERY,
      expect.objectContaining({ isResponse: true }),
    ]);
  });
});
