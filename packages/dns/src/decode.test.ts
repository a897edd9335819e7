import { describe, expect, test } from "bun:test";
import { type DecodeError, type DnsMessage, decodeMessage, encodeMessage, Rcode } from "@fz/dns";
import fc from "fast-check";
import { message } from "../test/arbitraries.ts";
import { fromHex } from "../test/bytes.ts";
import { QUERY, QUERY_BYTES, RESPONSE, RESPONSE_BYTES, ZOO, ZOO_BYTES } from "../test/vectors.ts";

function decoded(bytes: Uint8Array): DnsMessage {
  const result = decodeMessage(bytes);
  if ("kind" in result) throw new Error(`expected a message, got ${JSON.stringify(result)}`);
  return result;
}

function failure(bytes: Uint8Array): DecodeError {
  const result = decodeMessage(bytes);
  if (!("kind" in result)) throw new Error("expected a decode error, got a message");
  return result;
}

/** A header with the given flags word and counts. */
function header(flags: number, qd: number, an: number, ns: number, ar: number): string {
  const u16 = (v: number) => v.toString(16).padStart(4, "0");
  return `1234 ${u16(flags)} ${u16(qd)} ${u16(an)} ${u16(ns)} ${u16(ar)}`;
}

const EXAMPLE_COM = "07 6578616d706c65 03 636f6d 00";

describe("decodeMessage: known answers", () => {
  test("a query with EDNS and a cookie option", () => {
    expect(decoded(QUERY_BYTES)).toEqual(QUERY);
  });

  test("a compressed response: whole-name pointers, labels then a pointer, pointers into rdata", () => {
    expect(decoded(RESPONSE_BYTES)).toEqual(RESPONSE);
  });

  test("every typed record kind; an unknown type's pointer-like rdata stays raw", () => {
    expect(decoded(ZOO_BYTES)).toEqual(ZOO);
  });

  test("byte fields are views of the input, not copies", () => {
    const message = decoded(ZOO_BYTES);
    const aaaa = message.answers[0];
    if (aaaa?.type !== "AAAA") throw new Error("expected AAAA first");
    expect(aaaa.address.buffer).toBe(ZOO_BYTES.buffer);
    expect(aaaa.address.byteOffset).toBe(ZOO_BYTES.byteOffset + 33);
    const cookie = decoded(QUERY_BYTES).edns?.options[0]?.data;
    expect(cookie?.buffer).toBe(QUERY_BYTES.buffer);
  });

  test("decodes each flag bit and the opcode into its own field", () => {
    const bits: [number, keyof DnsMessage][] = [
      [0x8000, "isResponse"],
      [0x0400, "authoritative"],
      [0x0200, "truncated"],
      [0x0100, "recursionDesired"],
      [0x0080, "recursionAvailable"],
      [0x0040, "z"],
      [0x0020, "authenticData"],
      [0x0010, "checkingDisabled"],
    ];
    for (const [bit, field] of bits) {
      const message = decoded(fromHex(header(bit, 0, 0, 0, 0)));
      expect(message[field]).toBe(true);
      for (const [, other] of bits) if (other !== field) expect(message[other]).toBe(false);
    }
    const status = decoded(fromHex(header((2 << 11) | 5, 0, 0, 0, 0)));
    expect([status.opcode, status.rcode]).toEqual([2, Rcode.REFUSED]);
  });

  test("folds the OPT record's extended rcode above the header's 4 bits", () => {
    // BADVERS (16): header rcode 0, extended rcode 1.
    const bytes = fromHex(`${header(0x8000, 0, 0, 0, 1)} 00 0029 0200 01 00 0000 0000`);
    const message = decoded(bytes);
    expect(message.rcode).toBe(Rcode.BADVERS);
    expect(message.edns).toEqual({
      udpPayloadSize: 512,
      version: 0,
      dnssecOk: false,
      reservedFlags: 0,
      options: [],
    });
  });

  test("reads the DO bit, the EDNS version and the reserved flags apart", () => {
    const bytes = fromHex(`${header(0, 0, 0, 0, 1)} 00 0029 1000 00 02 c001 0000`);
    expect(decoded(bytes).edns).toMatchObject({
      udpPayloadSize: 4096,
      version: 2,
      dnssecOk: true,
      reservedFlags: 0x4001,
    });
  });

  test("takes the OPT record out of the additional section wherever it is", () => {
    const a = `c0 0c 0001 0001 00000001 0004 01020304`;
    const bytes = fromHex(`${header(0x8000, 1, 0, 0, 3)} ${EXAMPLE_COM} 0001 0001
      ${a} 00 0029 04d0 00000000 0000 ${a}`);
    const message = decoded(bytes);
    expect(message.additionals.map((r) => r.type)).toEqual(["A", "A"]);
    expect(message.edns?.udpPayloadSize).toBe(1232);
  });

  test("writes bytes that need it as escapes: dots and backslashes in labels, spaces, 0xff", () => {
    const bytes = fromHex(`${header(0, 1, 0, 0, 0)} 03 612e62 02 5c20 01 ff 01 41 00 0001 0001`);
    expect(decoded(bytes).questions[0]?.name).toBe("a\\.b.\\\\\\032.\\255.A");
  });

  test("the root name is '.'", () => {
    const bytes = fromHex(`${header(0, 1, 0, 0, 0)} 00 0002 0001`);
    expect(decoded(bytes).questions).toEqual([{ name: ".", type: "NS", class: 1 }]);
  });

  test("follows a chain of pointers, each further back", () => {
    const questions = fromHex(`${header(0, 3, 0, 0, 0)}
      01 62 01 63 00 0001 0001      # 12 b.c, c at 14
      01 61 c0 0e 0001 0001         # 21 a -> 14: a.c
      01 78 c0 15 0001 0001         # 29 x -> 21: x.a.c`);
    expect(decoded(questions).questions.map((q) => q.name)).toEqual(["b.c", "a.c", "x.a.c"]);
    // The same chain through names inside raw rdata, which nothing decodes on the way.
    const throughRdata = fromHex(`${header(0x8000, 0, 2, 0, 0)}
      00 3039 0001 00000001 0009    # 12 raw record, rdata at 23
      01 62 01 63 00 01 61 c0 19    # 23 b.c (c at 25), 28 a -> 25
      01 78 c0 1c 3039 0001 00000001 0000   # 32 owner x -> 28`);
    expect(decoded(throughRdata).answers[1]?.name).toBe("x.a.c");
  });

  test("accepts a name of exactly 255 bytes and labels of exactly 63, inline or through a pointer", () => {
    const label63 = `3f ${"61".repeat(63)}`;
    const a63 = "a".repeat(63);
    // 3 * 64 + 62 + 1 = 255 bytes.
    const name255 = `${label63} ${label63} ${label63} 3d ${"62".repeat(61)} 00`;
    const inline = decoded(fromHex(`${header(0, 1, 0, 0, 0)} ${name255} 0001 0001`));
    expect(inline.questions[0]?.name).toBe(`${a63}.${a63}.${a63}.${"b".repeat(61)}`);
    // A 253-byte name at 12, then "x" -> 12: 2 + 253 = 255 bytes.
    const name253 = `${label63} ${label63} ${label63} 3b ${"62".repeat(59)} 00`;
    const pointed = `${header(0, 2, 0, 0, 0)} ${name253} 0001 0001 01 78 c0 0c 0001 0001`;
    expect(decoded(fromHex(pointed)).questions[1]?.name).toBe(
      `x.${a63}.${a63}.${a63}.${"b".repeat(59)}`,
    );
  });

  test("an empty TXT rdata is a TXT record with no strings", () => {
    const bytes = fromHex(`${header(0x8000, 0, 1, 0, 0)} 00 0010 0001 00000000 0000`);
    expect(decoded(bytes).answers).toEqual([
      { name: ".", type: "TXT", class: 1, ttl: 0, strings: [] },
    ]);
  });
});

describe("decodeMessage: malformed messages give an error value", () => {
  test("truncated: inside the header", () => {
    expect(failure(fromHex("1234 0100 0001 00"))).toEqual({
      kind: "truncated",
      section: "header",
      offset: 0,
    });
  });

  test("truncated: inside a question's name, and in its type and class", () => {
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} 07 6578616d`))).toEqual({
      kind: "truncated",
      section: "question",
      offset: 12,
    });
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} ${EXAMPLE_COM} 00`))).toEqual({
      kind: "truncated",
      section: "question",
      offset: 25,
    });
  });

  test("truncated: a name that stops before its root label, or half a pointer", () => {
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} 01 61`))).toMatchObject({
      kind: "truncated",
      offset: 14,
    });
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} 01 61 c0`))).toMatchObject({
      kind: "truncated",
      offset: 14,
    });
  });

  test("truncated: a record's fixed fields", () => {
    expect(failure(fromHex(`${header(0x8000, 0, 0, 1, 0)} 00 0001 0001 0000`))).toEqual({
      kind: "truncated",
      section: "authority",
      offset: 13,
    });
  });

  test("count-exceeds-data: the header counts more entries than there are", () => {
    expect(failure(fromHex(header(0, 1, 0, 0, 0)))).toEqual({
      kind: "count-exceeds-data",
      section: "question",
      declared: 1,
      found: 0,
    });
    const oneA = "00 0001 0001 00000001 0004 01020304";
    expect(failure(fromHex(`${header(0x8000, 0, 3, 0, 0)} ${oneA} ${oneA}`))).toEqual({
      kind: "count-exceeds-data",
      section: "answer",
      declared: 3,
      found: 2,
    });
    expect(failure(fromHex(`${header(0x8000, 0, 0, 0, 65535)}`))).toMatchObject({
      kind: "count-exceeds-data",
      section: "additional",
    });
  });

  test("rdata-overrun: the rdata length reaches past the end", () => {
    expect(
      failure(fromHex(`${header(0x8000, 0, 1, 0, 0)} 00 0001 0001 00000001 0005 010203`)),
    ).toEqual({
      kind: "rdata-overrun",
      section: "answer",
      offset: 21,
      rdlength: 5,
      available: 3,
    });
  });

  test("forward-pointer: to itself or to a later byte", () => {
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} c0 0c 0001 0001`))).toEqual({
      kind: "forward-pointer",
      offset: 12,
      target: 12,
    });
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} c0 10 0001 0001 00`))).toEqual({
      kind: "forward-pointer",
      offset: 12,
      target: 16,
    });
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} ff ff 0001 0001`))).toMatchObject({
      kind: "forward-pointer",
      target: 0x3fff,
    });
  });

  test("pointer-loop: back into the labels already read", () => {
    // 12: "a" then a pointer at 14 back to 12: a.a.a.a... forever.
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} 01 61 c0 0c 0001 0001`))).toEqual({
      kind: "pointer-loop",
      offset: 14,
      target: 12,
    });
    // Two names pointing at each other: the first pointer already points forward.
    const pair = `${header(0, 2, 0, 0, 0)} 01 61 c0 16 0001 0001 01 62 c0 0c 0001 0001`;
    expect(failure(fromHex(pair))).toMatchObject({ kind: "forward-pointer", offset: 14 });
    // A trap inside raw rdata (never decoded by itself): 23 "b" then a pointer at 25 back to 23.
    // The second answer's owner jumps into it: a valid jump, then a loop.
    const trap = `${header(0x8000, 0, 2, 0, 0)}
      00 3039 0001 00000001 0004 01 62 c0 17   # 12 raw record, rdata at 23
      c0 17 3039 0001 00000001 0000            # 27 owner -> 23`;
    expect(failure(fromHex(trap))).toEqual({ kind: "pointer-loop", offset: 25, target: 23 });
  });

  test("label-too-long: length bytes 64 to 191 (reserved label types)", () => {
    for (const length of [0x40, 0x7f, 0x80, 0xbf]) {
      const bytes = fromHex(`${header(0, 1, 0, 0, 0)} ${length.toString(16)} ${"61".repeat(70)}`);
      expect(failure(bytes)).toEqual({ kind: "label-too-long", offset: 12, length });
    }
  });

  test("name-too-long: over 255 bytes inline, through pointers, or 128 one-byte labels", () => {
    const label63 = `3f ${"61".repeat(63)}`;
    const long = `${label63} ${label63} ${label63} 3e ${"62".repeat(62)} 00`; // 256 bytes
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} ${long} 0001 0001`))).toEqual({
      kind: "name-too-long",
      offset: 12,
    });
    // 128 labels of one byte: 257 bytes. (127 are the most a 255-byte name can hold.)
    const labels = "01 61 ".repeat(128);
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} ${labels} 00 0001 0001`))).toMatchObject({
      kind: "name-too-long",
    });
    // 12: a 254-byte name; then "x" -> 12 makes 256 bytes.
    const name254 = `${label63} ${label63} ${label63} 3c ${"62".repeat(60)} 00`;
    const viaPointer = `${header(0, 2, 0, 0, 0)} ${name254} 0001 0001 01 78 c0 0c 0001 0001`;
    expect(failure(fromHex(viaPointer))).toEqual({ kind: "name-too-long", offset: 270 });
  });

  test("bad-rdata: fixed-size rdata of the wrong size", () => {
    const a5 = `${header(0x8000, 0, 1, 0, 0)} 00 0001 0001 00000001 0005 0102030405`;
    expect(failure(fromHex(a5))).toEqual({
      kind: "bad-rdata",
      section: "answer",
      offset: 23,
      type: 1,
      reason: "length",
    });
    const aaaa4 = `${header(0x8000, 0, 1, 0, 0)} 00 001c 0001 00000001 0004 01020304`;
    expect(failure(fromHex(aaaa4))).toMatchObject({
      kind: "bad-rdata",
      type: 28,
      reason: "length",
    });
    const srvShort = `${header(0x8000, 0, 1, 0, 0)} 00 0021 0001 00000001 0006 000100020003`;
    expect(failure(fromHex(srvShort))).toMatchObject({ type: 33, reason: "length" });
  });

  test("bad-rdata: a name in rdata that runs past the rdata, or leaves bytes after it", () => {
    const overrun = `${header(0x8000, 0, 1, 0, 0)} 00 0005 0001 00000001 0002 01 61 00`;
    expect(failure(fromHex(overrun))).toMatchObject({
      kind: "bad-rdata",
      type: 5,
      reason: "name-overrun",
    });
    const trailing = `${header(0x8000, 0, 1, 0, 0)} 00 000c 0001 00000001 0004 01 61 00 ff`;
    expect(failure(fromHex(trailing))).toMatchObject({ type: 12, reason: "trailing" });
    const soa = `${header(0x8000, 0, 0, 1, 0)} 00 0006 0001 00000001 0006 00 00 00000001`;
    expect(failure(fromHex(soa))).toMatchObject({ section: "authority", reason: "length" });
  });

  test("bad-rdata: a TXT string or an EDNS option longer than what is left", () => {
    const txt = `${header(0x8000, 0, 1, 0, 0)} 00 0010 0001 00000001 0004 02 6162 05`;
    expect(failure(fromHex(txt))).toMatchObject({ type: 16, reason: "item-overrun", offset: 26 });
    const opt = `${header(0, 0, 0, 0, 1)} 00 0029 04d0 00000000 0006 000a 0004 0102`;
    expect(failure(fromHex(opt))).toMatchObject({ type: 41, reason: "item-overrun" });
    const optHalf = `${header(0, 0, 0, 0, 1)} 00 0029 04d0 00000000 0002 000a`;
    expect(failure(fromHex(optHalf))).toMatchObject({ type: 41, reason: "item-overrun" });
  });

  test("bad-opt: in the answer or authority section, twice, or not owned by the root", () => {
    const opt = "00 0029 04d0 00000000 0000";
    expect(failure(fromHex(`${header(0x8000, 0, 1, 0, 0)} ${opt}`))).toEqual({
      kind: "bad-opt",
      offset: 12,
      reason: "outside-additional",
    });
    expect(failure(fromHex(`${header(0x8000, 0, 0, 1, 0)} ${opt}`))).toMatchObject({
      reason: "outside-additional",
    });
    expect(failure(fromHex(`${header(0, 0, 0, 0, 2)} ${opt} ${opt}`))).toEqual({
      kind: "bad-opt",
      offset: 23,
      reason: "duplicate",
    });
    const owned = `${header(0, 0, 0, 0, 1)} 01 61 00 0029 04d0 00000000 0000`;
    expect(failure(fromHex(owned))).toEqual({
      kind: "bad-opt",
      offset: 12,
      reason: "owner-not-root",
    });
  });

  test("trailing-bytes: data after the last counted record", () => {
    expect(failure(fromHex(`${header(0, 1, 0, 0, 0)} 00 0001 0001 ff ff`))).toEqual({
      kind: "trailing-bytes",
      offset: 17,
      extra: 2,
    });
  });
});

describe("decodeMessage: properties", () => {
  test("random bytes give a message or an error value, never an exception", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = decodeMessage(bytes);
        expect(typeof result).toBe("object");
      }),
      { numRuns: 5000 },
    );
  });

  test("random headers over random bodies exercise every section without throwing", () => {
    const counts = fc.integer({ min: 0, max: 4 });
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 0, max: 0xffff }), counts, counts, counts, counts),
        fc.uint8Array({ maxLength: 300 }),
        ([flags, qd, an, ns, ar], body) => {
          const bytes = new Uint8Array(12 + body.length);
          bytes.set(fromHex(header(flags, qd, an, ns, ar)));
          bytes.set(body, 12);
          expect(typeof decodeMessage(bytes)).toBe("object");
        },
      ),
      { numRuns: 5000 },
    );
  });

  test("corrupting bytes of valid messages never throws", () => {
    fc.assert(
      fc.property(
        message(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (original, edits, cut) => {
          const encoded = encodeMessage(original);
          if (!(encoded instanceof Uint8Array)) throw new Error(encoded.kind);
          const bytes = encoded.slice(0, 12 + (cut % encoded.length));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          expect(typeof decodeMessage(bytes)).toBe("object");
        },
      ),
      { numRuns: 1000 },
    );
  });
});
