import { describe, expect, test } from "bun:test";
import {
  createQuery,
  type DnsMessage,
  decodeMessage,
  type EncodeError,
  type EncodeOptions,
  encodeMessage,
  encodeMessageInto,
  type ResourceRecord,
} from "@fz/dns";
import fc from "fast-check";
import { foldNameCase, message } from "../test/arbitraries.ts";
import { ascii, fromHex, toHex } from "../test/bytes.ts";
import { QUERY, QUERY_BYTES, RESPONSE, RESPONSE_BYTES, ZOO } from "../test/vectors.ts";

function encoded(message: DnsMessage, options?: EncodeOptions): Uint8Array {
  const result = encodeMessage(message, options);
  if (!(result instanceof Uint8Array)) throw new Error(`encode failed: ${JSON.stringify(result)}`);
  return result;
}

function failure(message: DnsMessage): EncodeError {
  const result = encodeMessage(message);
  if (result instanceof Uint8Array) throw new Error("expected an encode error");
  return result;
}

function roundTrip(message: DnsMessage, options?: EncodeOptions): DnsMessage {
  const result = decodeMessage(encoded(message, options));
  if ("kind" in result) throw new Error(`re-decode failed: ${JSON.stringify(result)}`);
  return result;
}

const query = (name: string) => createQuery(1, name, "A");
const a = (name: string, address: number): ResourceRecord => ({
  name,
  type: "A",
  class: 1,
  ttl: 60,
  address,
});

describe("encodeMessage: known answers", () => {
  test("writes the query byte for byte", () => {
    expect(toHex(encoded(QUERY))).toBe(toHex(QUERY_BYTES));
  });

  test("compresses the response exactly as worked out by hand", () => {
    expect(toHex(encoded(RESPONSE))).toBe(toHex(RESPONSE_BYTES));
  });

  test("without compression every name is written in full", () => {
    const bytes = encoded(RESPONSE, { compress: false });
    // Three owner pointers (2 bytes) become 17-byte names; "cdn" + pointer (6) becomes 17.
    expect(bytes.length).toBe(RESPONSE_BYTES.length + 3 * 15 + 11);
    expect(bytes.includes(0xc0)).toBe(false);
    expect(roundTrip(RESPONSE, { compress: false })).toEqual(RESPONSE);
  });

  test("a final dot and the two spellings of the root are the same name", () => {
    const dotted = encoded(createQuery(1, "www.example.com.", "A"));
    expect(toHex(dotted)).toBe(toHex(encoded(createQuery(1, "www.example.com", "A"))));
    const root = encoded(createQuery(1, "", "NS"));
    expect(toHex(root)).toBe(toHex(encoded(createQuery(1, ".", "NS"))));
    expect(toHex(root.subarray(12))).toBe("0000020001");
  });

  test("escapes in names become the bytes they stand for", () => {
    const bytes = encoded(query("a\\.b.\\\\\\032.\\255.\\A"));
    expect(toHex(bytes.subarray(12, bytes.length - 4))).toBe("03612e62025c2001ff014100");
  });
});

describe("encodeMessage: compression", () => {
  test("points a later name at an earlier one whatever its case, keeping the first case", () => {
    const message = { ...query("WWW.Example.COM"), answers: [a("www.example.com", 1)] };
    const bytes = encoded(message);
    // The answer's owner is a bare pointer to the question's name at 12.
    expect(toHex(bytes.subarray(33, 35))).toBe("c00c");
    expect(roundTrip(message).answers[0]?.name).toBe("WWW.Example.COM");
  });

  test("points at the longest suffix already written", () => {
    const message = {
      ...query("www.example.com"),
      answers: [a("mail.Example.com", 1), a("example.org", 2), a("a.b.mail.example.com", 3)],
    };
    const bytes = encoded(message);
    // 33: mail + -> 16 (example.com); example.org shares no suffix and is written whole;
    // then a.b + -> 33 (mail.example.com).
    expect(toHex(bytes.subarray(33, 40))).toBe("046d61696cc010");
    expect(roundTrip(message).answers.map((r) => r.name)).toEqual([
      "mail.example.com",
      "example.org",
      "a.b.mail.example.com",
    ]);
  });

  test("compresses names in CNAME, NS, PTR, MX and SOA rdata, but not SRV or SVCB targets", () => {
    const target = "target.example.com";
    const common = { name: "example.com", class: 1, ttl: 1 } as const;
    const rdataOf = (record: ResourceRecord): string => {
      const bytes = encoded({ ...query(target), answers: [record] });
      return toHex(bytes.subarray(12 + 20 + 4 + 2 + 10));
    };
    const pointer = "c00c";
    expect(rdataOf({ ...common, type: "CNAME", target })).toBe(pointer);
    expect(rdataOf({ ...common, type: "NS", target })).toBe(pointer);
    expect(rdataOf({ ...common, type: "PTR", target })).toBe(pointer);
    expect(rdataOf({ ...common, type: "MX", preference: 5, exchange: target })).toBe(
      `0005${pointer}`,
    );
    const soa = { ...common, type: "SOA", mname: target, rname: target } as const;
    const times = { serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 };
    expect(rdataOf({ ...soa, ...times }).slice(0, 8)).toBe(`${pointer}${pointer}`);
    const full = "06746172676574076578616d706c6503636f6d00";
    const srv = { ...common, type: "SRV", priority: 1, weight: 2, port: 3, target } as const;
    expect(rdataOf(srv)).toBe(`000100020003${full}`);
    const svcb = { ...common, type: "HTTPS", priority: 1, target, params: ascii("") } as const;
    expect(rdataOf(svcb)).toBe(`0001${full}`);
  });

  test("tells apart names whose suffix hashes collide", () => {
    // "raczfaa" and "llbppaa" have the same 32-bit FNV-1a suffix hash in the compression table
    // (found by search); only the byte comparison keeps one from pointing at the other.
    const message = {
      ...query("raczfaa"),
      answers: [a("llbppaa", 1), a("www.llbppaa", 2), a("www.raczfaa", 3)],
    };
    expect(roundTrip(message).answers.map((r) => r.name)).toEqual([
      "llbppaa",
      "www.llbppaa",
      "www.raczfaa",
    ]);
  });

  test("never points at a name written past offset 0x3fff", () => {
    const filler: ResourceRecord = {
      name: ".",
      type: "TXT",
      class: 1,
      ttl: 0,
      strings: Array.from({ length: 70 }, () => new Uint8Array(255)),
    };
    const message = {
      ...query("first.test"),
      answers: [filler, a("late.zone", 1), a("late.zone", 2)],
    };
    const bytes = encoded(message);
    const late = "046c617465047a6f6e6500";
    // Both late.zone owners in full: the first sits beyond 16383, where no pointer can reach.
    expect(toHex(bytes).split(late).length - 1).toBe(2);
    expect(roundTrip(message).answers.slice(1)).toEqual([a("late.zone", 1), a("late.zone", 2)]);
  });

  test("an unknown type's rdata is written as given and never compressed", () => {
    const raw = fromHex("076578616d706c6503636f6d00");
    const record = { name: "example.com", type: 4321, class: 1, ttl: 0, rdata: raw };
    const bytes = encoded({ ...query("example.com"), answers: [record] });
    expect(toHex(bytes.subarray(bytes.length - raw.length))).toBe(toHex(raw));
  });

  test("a known type given by code is written from its raw rdata", () => {
    const record = { name: ".", type: 1, class: 1, ttl: 0, rdata: fromHex("0a000001") };
    const decoded = roundTrip({ ...query("x"), answers: [record] });
    expect(decoded.answers).toEqual([
      { name: ".", type: "A", class: 1, ttl: 0, address: 0x0a000001 },
    ]);
  });
});

describe("encodeMessage: EDNS", () => {
  test("writes the upper bits of a 12-bit rcode into the OPT record", () => {
    const message = { ...RESPONSE, rcode: 0x123 };
    const bytes = encoded(message);
    expect(bytes[3]).toBe(0x83); // RD RA ... rcode low bits 3
    expect(toHex(bytes.subarray(83 + 5, 83 + 7))).toBe("1200"); // extended rcode 0x12, version 0
    expect(roundTrip(message).rcode).toBe(0x123);
  });

  test("puts the OPT record last, or just before a final TSIG", () => {
    const tsig = { name: "key", type: 250, class: 255, ttl: 0, rdata: fromHex("00") };
    const message = { ...QUERY, additionals: [a("x", 1), tsig] };
    const bytes = encoded(message);
    const tsigBytes = "036b657900 00fa 00ff 00000000 0001 00".replace(/ /g, "");
    expect(toHex(bytes).endsWith(tsigBytes)).toBe(true);
    expect(roundTrip(message)).toEqual(message);
  });
});

describe("encodeMessage: errors are values", () => {
  const bad = (name: string) => failure(query(name));

  test("invalid-name, for each reason", () => {
    expect(bad("a..b")).toEqual({ kind: "invalid-name", name: "a..b", reason: "empty-label" });
    expect(bad(".a")).toMatchObject({ reason: "empty-label" });
    expect(bad("x".repeat(64))).toMatchObject({ reason: "label-too-long" });
    expect(bad("\\000".repeat(64))).toMatchObject({ reason: "label-too-long" });
    expect(bad(Array(128).fill("a").join("."))).toMatchObject({ reason: "name-too-long" });
    expect(bad(Array(4).fill("a".repeat(63)).join("."))).toMatchObject({
      reason: "name-too-long",
    });
    for (const name of ["a\\", "a\\256", "a\\12", "a\\12x", "a\\\u0001"]) {
      expect(bad(name)).toMatchObject({ reason: "bad-escape" });
    }
    for (const name of ["a b", "caf\u00e9", "tab\t", "nul\u0000"]) {
      expect(bad(name)).toMatchObject({ reason: "bad-character" });
    }
  });

  test("accepts the limits themselves: 63-byte labels, 255-byte names", () => {
    const name = [...Array(3).fill("a".repeat(63)), "b".repeat(61)].join(".");
    expect(roundTrip(query(name)).questions[0]?.name).toBe(name);
  });

  test("invalid-field, naming the field", () => {
    const cases: [DnsMessage, string][] = [
      [{ ...QUERY, id: 65536 }, "id"],
      [{ ...QUERY, opcode: 16 }, "opcode"],
      [{ ...QUERY, rcode: 0x1000 }, "rcode"],
      [{ ...QUERY, questions: [{ name: "x", type: 70000, class: 1 }] }, "type"],
      [{ ...QUERY, questions: [{ name: "x", type: "A", class: 1.5 }] }, "class"],
      [{ ...QUERY, answers: [{ ...a("x", 1), ttl: -1 }] }, "ttl"],
      [{ ...QUERY, answers: [a("x", 2 ** 32)] }, "address"],
      [
        {
          ...QUERY,
          answers: [{ name: "x", type: "AAAA", class: 1, ttl: 0, address: new Uint8Array(4) }],
        },
        "address",
      ],
      [
        {
          ...QUERY,
          answers: [{ name: "x", type: "TXT", class: 1, ttl: 0, strings: [new Uint8Array(256)] }],
        },
        "txt",
      ],
      [{ ...QUERY, answers: [{ ...ZOO.answers[3], port: -1 } as ResourceRecord] }, "port"],
      [
        { ...RESPONSE, edns: { ...RESPONSE.edns, udpPayloadSize: 70000 } as DnsMessage["edns"] },
        "edns.udpPayloadSize",
      ],
      [
        { ...RESPONSE, edns: { ...RESPONSE.edns, version: 256 } as DnsMessage["edns"] },
        "edns.version",
      ],
    ];
    for (const [message, field] of cases) {
      expect(failure(message)).toMatchObject({ kind: "invalid-field", field });
    }
  });

  test("rcode-needs-edns, opt-as-record and too-many-records", () => {
    expect(failure({ ...QUERY, edns: undefined, rcode: 16 })).toEqual({
      kind: "rcode-needs-edns",
      rcode: 16,
    });
    const opt = { name: ".", type: 41, class: 512, ttl: 0, rdata: new Uint8Array(0) };
    expect(failure({ ...QUERY, additionals: [opt] })).toEqual({ kind: "opt-as-record" });
    const question = { name: "x", type: "A", class: 1 } as const;
    expect(failure({ ...QUERY, questions: Array(65536).fill(question) })).toEqual({
      kind: "too-many-records",
      section: "question",
      count: 65536,
    });
  });

  test("message-too-long past 65535 bytes; buffer-too-small when writing into a buffer", () => {
    const big: ResourceRecord = {
      name: ".",
      type: "TXT",
      class: 1,
      ttl: 0,
      strings: Array.from({ length: 255 }, () => new Uint8Array(255)),
    };
    expect(failure({ ...QUERY, answers: [big, big] })).toEqual({
      kind: "message-too-long",
      limit: 65535,
    });
    expect(encodeMessageInto(RESPONSE, new Uint8Array(RESPONSE_BYTES.length - 1))).toEqual({
      kind: "buffer-too-small",
      capacity: RESPONSE_BYTES.length - 1,
    });
  });

  test("encodeMessageInto writes at the start of the buffer and returns the length", () => {
    const buffer = new Uint8Array(RESPONSE_BYTES.length + 10).fill(0xee);
    expect(encodeMessageInto(RESPONSE, buffer)).toBe(RESPONSE_BYTES.length);
    expect(toHex(buffer.subarray(0, RESPONSE_BYTES.length))).toBe(toHex(RESPONSE_BYTES));
    expect(buffer[RESPONSE_BYTES.length]).toBe(0xee);
  });

  test("a failed encode leaves no state behind for the next one", () => {
    expect(failure({ ...RESPONSE, answers: [a("a..b", 1)] })).toMatchObject({
      kind: "invalid-name",
    });
    expect(toHex(encoded(RESPONSE))).toBe(toHex(RESPONSE_BYTES));
  });
});

describe("encode then decode: properties", () => {
  test("round-trips random lowercase messages exactly, with compression", () => {
    fc.assert(
      fc.property(message(true), (original) => {
        expect(roundTrip(original)).toEqual(original);
      }),
      { numRuns: 600 },
    );
  });

  test("round-trips random mixed-case messages exactly without compression", () => {
    fc.assert(
      fc.property(message(), (original) => {
        expect(roundTrip(original, { compress: false })).toEqual(original);
      }),
      { numRuns: 600 },
    );
  });

  test("with compression, mixed-case names come back equal up to ASCII case", () => {
    fc.assert(
      fc.property(message(), (original) => {
        const decoded = roundTrip(original);
        expect(foldNameCase(decoded)).toEqual(foldNameCase(original));
        expect(decoded.questions[0]?.name).toBe(original.questions[0]?.name as string);
      }),
      { numRuns: 600 },
    );
  });

  test("compression never makes a message longer", () => {
    fc.assert(
      fc.property(message(), (original) => {
        const compressed = encoded(original).length;
        expect(compressed).toBeLessThanOrEqual(encoded(original, { compress: false }).length);
      }),
      { numRuns: 300 },
    );
  });

  test("whatever decodes re-encodes to the same message", () => {
    fc.assert(
      fc.property(
        message(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (original, edits) => {
          const bytes = encoded(original);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const decoded = decodeMessage(bytes);
          if ("kind" in decoded) return;
          expect(roundTrip(decoded, { compress: false })).toEqual(decoded);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
