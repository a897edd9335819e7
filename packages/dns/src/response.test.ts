import { describe, expect, test } from "bun:test";
import {
  buildResponse,
  createQuery,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  noDataResponse,
  noErrorResponse,
  nxDomainResponse,
  Rcode,
  type ResourceRecord,
  servFailResponse,
  truncatedResponse,
} from "@fz/dns";
import { toHex } from "../test/bytes.ts";
import { QUERY } from "../test/vectors.ts";

/** Encodes and decodes, so each test checks what goes on the wire. */
function onTheWire(message: DnsMessage): DnsMessage {
  const bytes = encodeMessage(message);
  if (!(bytes instanceof Uint8Array)) throw new Error(`encode failed: ${bytes.kind}`);
  const decoded = decodeMessage(bytes);
  if ("kind" in decoded) throw new Error(`decode failed: ${decoded.kind}`);
  return decoded;
}

const PROXY_IPS: ResourceRecord[] = [0x64600000, 0x64600001, 0x64600002, 0x64600003].map(
  (address) => ({ name: "app.internal", type: "A", class: 1, ttl: 1, address }),
);

describe("response builders", () => {
  const plain = createQuery(0x4242, "App.Internal", "A");

  test("NOERROR with answers: id, question and RD echoed, QR and RA set, AA TC AD clear", () => {
    const response = onTheWire(noErrorResponse(plain, PROXY_IPS));
    expect(response).toEqual({
      id: 0x4242,
      isResponse: true,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: true,
      z: false,
      authenticData: false,
      checkingDisabled: false,
      rcode: Rcode.NOERROR,
      questions: [{ name: "App.Internal", type: "A", class: 1 }],
      // Compressed against the question, so the owners come back in the question's case.
      answers: PROXY_IPS.map((record) => ({ ...record, name: "App.Internal" })),
      authorities: [],
      additionals: [],
      edns: undefined,
    });
  });

  test("the four answers point at the question: 16 bytes each", () => {
    const bytes = encodeMessage(noErrorResponse(plain, PROXY_IPS));
    if (!(bytes instanceof Uint8Array)) throw new Error("encode failed");
    const question = 12 + 14 + 4;
    expect(bytes.length).toBe(question + 4 * 16);
    expect(toHex(bytes.subarray(question, question + 2))).toBe("c00c");
  });

  test("NODATA, NXDOMAIN and SERVFAIL carry the question and no records", () => {
    const cases: [DnsMessage, number][] = [
      [noDataResponse(plain), Rcode.NOERROR],
      [nxDomainResponse(plain), Rcode.NXDOMAIN],
      [servFailResponse(plain), Rcode.SERVFAIL],
    ];
    for (const [built, rcode] of cases) {
      const response = onTheWire(built);
      expect(response).toMatchObject({ id: 0x4242, isResponse: true, rcode, answers: [] });
      expect(response.questions).toEqual(plain.questions);
    }
  });

  test("RD and CD are copied from the query; the opcode too", () => {
    const query = { ...plain, recursionDesired: false, checkingDisabled: true, opcode: 2 };
    expect(onTheWire(servFailResponse(query))).toMatchObject({
      recursionDesired: false,
      checkingDisabled: true,
      opcode: 2,
    });
  });

  test("echoes EDNS: an OPT back when the query had one, version 0, DO copied, no options", () => {
    expect(QUERY.edns?.options.length).toBe(1);
    const response = onTheWire(noErrorResponse(QUERY, []));
    expect(response.edns).toEqual({
      udpPayloadSize: 1232,
      version: 0,
      dnssecOk: false,
      reservedFlags: 0,
      options: [],
    });
    const withDo = {
      ...QUERY,
      edns: { ...(QUERY.edns as NonNullable<DnsMessage["edns"]>), dnssecOk: true },
    };
    expect(onTheWire(nxDomainResponse(withDo, { udpPayloadSize: 4000 })).edns).toMatchObject({
      udpPayloadSize: 4000,
      dnssecOk: true,
    });
    expect(onTheWire(nxDomainResponse(plain)).edns).toBeUndefined();
  });

  test("an extended rcode such as BADVERS travels in the echoed OPT", () => {
    const response = onTheWire(buildResponse(QUERY, Rcode.BADVERS, []));
    expect(response.rcode).toBe(Rcode.BADVERS);
  });

  test("authority records, e.g. a SOA for negative caching", () => {
    const soa: ResourceRecord = {
      name: "internal",
      type: "SOA",
      class: 1,
      ttl: 60,
      mname: "ns.internal",
      rname: "hostmaster.internal",
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 5,
    };
    const response = onTheWire(nxDomainResponse(plainQuery(), { authorities: [soa] }));
    expect(response.authorities).toEqual([soa]);
  });
});

describe("truncatedResponse", () => {
  test("keeps header, question and EDNS, drops the records and sets TC", () => {
    const full = noErrorResponse(QUERY, PROXY_IPS);
    const response = onTheWire(truncatedResponse(full));
    expect(response).toMatchObject({ truncated: true, answers: [], id: QUERY.id });
    expect(response.questions).toEqual(QUERY.questions);
    expect(response.edns?.udpPayloadSize).toBe(1232);
  });

  test("the UDP fallback: a response too big for the buffer, then its truncation that fits", () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ ...PROXY_IPS[0], address: i }));
    const full = noErrorResponse(plainQuery(), many as ResourceRecord[]);
    const datagram = new Uint8Array(512);
    expect(encodeMessageInto(full, datagram)).toMatchObject({ kind: "buffer-too-small" });
    const length = encodeMessageInto(truncatedResponse(full), datagram);
    expect(length).toBe(12 + 14 + 4);
  });
});

function plainQuery(): DnsMessage {
  return createQuery(1, "app.internal", "A");
}

describe("createQuery", () => {
  test("a recursive IN query for one name, with the caller's id", () => {
    expect(onTheWire(createQuery(9, "example.com", "AAAA"))).toEqual({
      id: 9,
      isResponse: false,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: false,
      z: false,
      authenticData: false,
      checkingDisabled: false,
      rcode: 0,
      questions: [{ name: "example.com", type: "AAAA", class: 1 }],
      answers: [],
      authorities: [],
      additionals: [],
      edns: undefined,
    });
  });

  test("with EDNS, another class and without RD", () => {
    const edns = {
      udpPayloadSize: 1400,
      version: 0,
      dnssecOk: true,
      reservedFlags: 0,
      options: [],
    };
    const query = onTheWire(
      createQuery(9, "version.bind", "TXT", { edns, class: 3, recursionDesired: false }),
    );
    expect(query).toMatchObject({ recursionDesired: false, edns });
    expect(query.questions).toEqual([{ name: "version.bind", type: "TXT", class: 3 }]);
  });
});
