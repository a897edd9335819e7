/**
 * fast-check generators of DNS messages for the property tests. Names are made from wire bytes
 * and put into presentation form by `presentName` below, written independently of the codec.
 */
import type { DnsMessage, Edns, Question, RecordTypeValue, ResourceRecord } from "@fz/dns";
import { RecordType } from "@fz/dns";
import fc from "fast-check";

/** The presentation form of a name given as its labels' bytes ("." for the root). */
export function presentName(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  return labels.map((label) => Array.from(label, presentByte).join("")).join(".");
}

function presentByte(byte: number): string {
  if (byte === 0x2e) return "\\.";
  if (byte === 0x5c) return "\\\\";
  if (byte > 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `\\${String(byte).padStart(3, "0")}`;
}

/** Keeps the leading labels that fit the 255-byte wire limit. */
function fitLabels(labels: readonly Uint8Array[]): Uint8Array[] {
  const kept: Uint8Array[] = [];
  let wire = 1;
  for (const label of labels) {
    if (wire + label.length + 1 > 255) break;
    wire += label.length + 1;
    kept.push(label);
  }
  return kept;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789-_";

/** Label bytes: mostly hostname characters, sometimes any byte (dots, backslashes, 0x00-0xff). */
function labelBytes(lowerCaseOnly: boolean): fc.Arbitrary<Uint8Array> {
  const hostChar = fc.constantFrom(...Array.from(LETTERS, (c) => c.charCodeAt(0)));
  const upperChar = fc.integer({ min: 0x41, max: 0x5a });
  const anyByte = fc
    .integer({ min: 0, max: 255 })
    .map((b) => (lowerCaseOnly && b >= 0x41 && b <= 0x5a ? b + 0x20 : b));
  const byte = lowerCaseOnly
    ? fc.oneof({ arbitrary: hostChar, weight: 8 }, { arbitrary: anyByte, weight: 1 })
    : fc.oneof(
        { arbitrary: hostChar, weight: 6 },
        { arbitrary: upperChar, weight: 2 },
        { arbitrary: anyByte, weight: 1 },
      );
  return fc
    .oneof(
      { arbitrary: fc.array(byte, { minLength: 1, maxLength: 12 }), weight: 8 },
      { arbitrary: fc.array(byte, { minLength: 1, maxLength: 63 }), weight: 1 },
    )
    .map((bytes) => Uint8Array.from(bytes));
}

/** Names as label lists within the limits, including the root and names near 255 bytes. */
export function nameLabels(lowerCaseOnly = false): fc.Arbitrary<Uint8Array[]> {
  const label = labelBytes(lowerCaseOnly);
  return fc
    .oneof(
      { arbitrary: fc.array(label, { minLength: 0, maxLength: 5 }), weight: 10 },
      // Enough labels to reach the 255-byte limit, where fitLabels cuts them.
      { arbitrary: fc.array(label, { minLength: 40, maxLength: 127 }), weight: 1 },
    )
    .map(fitLabels);
}

/** A presentation-form name within the limits. */
export function name(lowerCaseOnly = false): fc.Arbitrary<string> {
  return nameLabels(lowerCaseOnly).map(presentName);
}

/**
 * Names that share suffixes, so that compression has something to do: each is a few labels in
 * front of one of a small pool of base names.
 */
function relatedNames(lowerCaseOnly: boolean): fc.Arbitrary<fc.Arbitrary<string>> {
  return fc
    .array(nameLabels(lowerCaseOnly), { minLength: 1, maxLength: 3 })
    .map((pool) =>
      fc
        .tuple(
          fc.array(labelBytes(lowerCaseOnly), { maxLength: 3 }),
          fc.constantFrom(...pool),
          fc.boolean(),
        )
        .map(([prefix, base, fresh]) =>
          presentName(fitLabels(fresh ? prefix : [...prefix, ...base])),
        ),
    );
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

const KNOWN_CODES = new Set<number>([
  RecordType.A,
  RecordType.NS,
  RecordType.CNAME,
  RecordType.SOA,
  RecordType.PTR,
  RecordType.MX,
  RecordType.TXT,
  RecordType.AAAA,
  RecordType.SRV,
  RecordType.OPT,
  RecordType.SVCB,
  RecordType.HTTPS,
]);

/** A type code that has no typed form (and is not OPT). */
export const unknownTypeCode = u16.filter((code) => !KNOWN_CODES.has(code));

const questionType: fc.Arbitrary<RecordTypeValue> = fc.oneof(
  fc.constantFrom<RecordTypeValue>(
    "A",
    "NS",
    "CNAME",
    "SOA",
    "PTR",
    "MX",
    "TXT",
    "AAAA",
    "SRV",
    "SVCB",
    "HTTPS",
  ),
  unknownTypeCode,
);

/** A record of any supported type (and raw ones of unknown types), owner names from `names`. */
export function record(names: fc.Arbitrary<string>): fc.Arbitrary<ResourceRecord> {
  const common = { name: names, class: u16, ttl: u32 };
  return fc.oneof(
    fc.record({ ...common, type: fc.constant("A" as const), address: u32 }),
    fc.record({
      ...common,
      type: fc.constant("AAAA" as const),
      address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    fc.record({ ...common, type: fc.constantFrom("CNAME", "NS", "PTR"), target: names }),
    fc.record({ ...common, type: fc.constant("MX" as const), preference: u16, exchange: names }),
    fc.record({
      ...common,
      type: fc.constant("SOA" as const),
      mname: names,
      rname: names,
      serial: u32,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
    }),
    fc.record({
      ...common,
      type: fc.constant("SRV" as const),
      priority: u16,
      weight: u16,
      port: u16,
      target: names,
    }),
    fc.record({
      ...common,
      type: fc.constant("TXT" as const),
      strings: fc.array(bytes(255), { maxLength: 4 }),
    }),
    fc.record({
      ...common,
      type: fc.constantFrom("SVCB", "HTTPS"),
      priority: u16,
      target: names,
      params: bytes(40),
    }),
    fc.record({ ...common, type: unknownTypeCode, rdata: bytes(40) }),
  );
}

const edns: fc.Arbitrary<Edns> = fc.record({
  udpPayloadSize: u16,
  version: u8,
  dnssecOk: fc.boolean(),
  reservedFlags: fc.integer({ min: 0, max: 0x7fff }),
  options: fc.array(fc.record({ code: u16, data: bytes(24) }), { maxLength: 3 }),
});

/**
 * Whole messages: random header bits, up to 3 questions and up to 5 records per section,
 * sometimes EDNS (then a 12-bit rcode). With `lowerCaseOnly`, no name has an ASCII capital, so
 * case-insensitive compression cannot change any name's case.
 */
export function message(lowerCaseOnly = false): fc.Arbitrary<DnsMessage> {
  return relatedNames(lowerCaseOnly).chain((names) => {
    const records = fc.array(record(names), { maxLength: 5 });
    const question: fc.Arbitrary<Question> = fc.record({
      name: names,
      type: questionType,
      class: u16,
    });
    return fc
      .record({
        id: u16,
        isResponse: fc.boolean(),
        opcode: fc.integer({ min: 0, max: 15 }),
        authoritative: fc.boolean(),
        truncated: fc.boolean(),
        recursionDesired: fc.boolean(),
        recursionAvailable: fc.boolean(),
        z: fc.boolean(),
        authenticData: fc.boolean(),
        checkingDisabled: fc.boolean(),
        rcode: fc.integer({ min: 0, max: 0xfff }),
        questions: fc.array(question, { maxLength: 3 }),
        answers: records,
        authorities: records,
        additionals: records,
        edns: fc.option(edns, { nil: undefined }),
      })
      .map((m) => (m.edns === undefined ? { ...m, rcode: m.rcode & 0xf } : m));
  });
}

/** Lowercases ASCII capitals in every name of a message, to compare modulo DNS case. */
export function foldNameCase(message: DnsMessage): DnsMessage {
  const fold = (value: string): string => value.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const foldRecord = (record: ResourceRecord): ResourceRecord => {
    const folded: Record<string, unknown> = { ...record, name: fold(record.name) };
    for (const key of ["target", "exchange", "mname", "rname"]) {
      const value = folded[key];
      if (typeof value === "string") folded[key] = fold(value);
    }
    return folded as unknown as ResourceRecord;
  };
  return {
    ...message,
    questions: message.questions.map((q) => ({ ...q, name: fold(q.name) })),
    answers: message.answers.map(foldRecord),
    authorities: message.authorities.map(foldRecord),
    additionals: message.additionals.map(foldRecord),
  };
}
