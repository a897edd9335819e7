/**
 * Known-answer messages, written byte by byte with their offsets, and their parsed form. The
 * response uses every compression case of RFC 1035 4.1.4: a whole name as a pointer, labels
 * followed by a pointer, and a pointer to a name that itself sits inside rdata.
 */
import type { DnsMessage } from "@fz/dns";
import { ascii, fromHex } from "./bytes.ts";

/** `dig www.example.com A` as dig 9.18 sends it: RD and AD set, EDNS with a client cookie. */
export const QUERY_BYTES = fromHex(`
  be ef             # 0  id
  01 20             # 2  flags: RD, AD
  00 01 00 00 00 00 00 01   # 4  qd=1 an=0 ns=0 ar=1
  03 777777 07 6578616d706c65 03 636f6d 00   # 12 www.example.com (17 bytes, ends at 29)
  00 01 00 01       # 29 type A, class IN
  00                # 33 OPT: root owner
  00 29             # 34 type OPT
  04 d0             # 36 UDP payload size 1232
  00 00 00 00       # 38 extended rcode 0, version 0, DO clear
  00 0c             # 42 rdlength 12
  00 0a 00 08 0102030405060708   # 44 option 10 (COOKIE), 8 bytes
`);

export const QUERY: DnsMessage = {
  id: 0xbeef,
  isResponse: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: false,
  z: false,
  authenticData: true,
  checkingDisabled: false,
  rcode: 0,
  questions: [{ name: "www.example.com", type: "A", class: 1 }],
  answers: [],
  authorities: [],
  additionals: [],
  edns: {
    udpPayloadSize: 1232,
    version: 0,
    dnssecOk: false,
    reservedFlags: 0,
    options: [{ code: 10, data: fromHex("0102030405060708") }],
  },
};

/** The answer: www.example.com is a CNAME for cdn.example.com, which has two addresses. */
export const RESPONSE_BYTES = fromHex(`
  be ef 81 80       # 0  id, flags: QR, RD, RA
  00 01 00 03 00 00 00 01   # 4  qd=1 an=3 ns=0 ar=1
  03 777777 07 6578616d706c65 03 636f6d 00   # 12 www.example.com; example.com is at 16
  00 01 00 01       # 29 type A, class IN
  c0 0c             # 33 -> 12 www.example.com
  00 05 00 01 00000e10 00 06   # 35 CNAME IN ttl 3600 rdlength 6
  03 63646e c0 10   # 45 cdn + -> 16 example.com
  c0 2d             # 51 -> 45 cdn.example.com
  00 01 00 01 0000003c 00 04 5db8d822   # 53 A IN ttl 60: 93.184.216.34
  c0 2d             # 67 -> 45 cdn.example.com
  00 01 00 01 0000003c 00 04 5db8d823   # 69 A IN ttl 60: 93.184.216.35
  00 00 29 04 d0 00 00 00 00 00 00      # 83 OPT 1232, no options
`);

export const RESPONSE: DnsMessage = {
  id: 0xbeef,
  isResponse: true,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: true,
  z: false,
  authenticData: false,
  checkingDisabled: false,
  rcode: 0,
  questions: [{ name: "www.example.com", type: "A", class: 1 }],
  answers: [
    { name: "www.example.com", type: "CNAME", class: 1, ttl: 3600, target: "cdn.example.com" },
    { name: "cdn.example.com", type: "A", class: 1, ttl: 60, address: 0x5db8d822 },
    { name: "cdn.example.com", type: "A", class: 1, ttl: 60, address: 0x5db8d823 },
  ],
  authorities: [],
  additionals: [],
  edns: { udpPayloadSize: 1232, version: 0, dnssecOk: false, reservedFlags: 0, options: [] },
};

/**
 * A response with one record of each other typed kind, uncompressed except where noted, and a
 * record of an unknown type whose rdata looks like a pointer (it must stay raw).
 */
export const ZOO_BYTES = fromHex(`
  00 07 84 00       # 0  id 7, flags: QR, AA
  00 01 00 07 00 01 00 00   # 4  qd=1 an=7 ns=1 ar=0
  03 7a6f6f 00      # 12 zoo
  00 ff 00 01       # 17 type ANY, class IN
  c0 0c 00 1c 00 01 0000012c 00 10 20010db8000000000000000000000001   # 21 AAAA 2001:db8::1
  c0 0c 00 0c 00 01 0000012c 00 04 01 61 c0 0c          # 49 PTR a.zoo
  c0 0c 00 0f 00 01 0000012c 00 04 00 0a c0 0c          # 65 MX 10 zoo
  c0 0c 00 21 00 01 0000012c 00 0c 0001 0002 0035 03 6e7330 c0 0c   # 81 SRV 1 2 53 ns0.zoo
  c0 0c 00 10 00 01 0000012c 00 09 03 616263 00 03 78797a   # 105 TXT "abc" "" "xyz"
  c0 0c 00 41 00 01 0000012c 00 0a 0001 00 0001 0003 026832   # 126 HTTPS 1 . alpn=h2
  c0 0c 30 39 00 01 0000012c 00 02 c0 0c                # 148 type 12345, raw rdata c00c
  # authority:
  c0 0c 00 06 00 01 00000e10 00 1e   # 162 SOA
  c0 0c 05 61646d696e c0 0c          # 174 mname zoo, rname admin.zoo
  00000001 00000e10 00000384 00093a80 0000003c   # 184 serial 1 refresh 3600 retry 900 expire 604800 minimum 60
`);

export const ZOO: DnsMessage = {
  id: 7,
  isResponse: true,
  opcode: 0,
  authoritative: true,
  truncated: false,
  recursionDesired: false,
  recursionAvailable: false,
  z: false,
  authenticData: false,
  checkingDisabled: false,
  rcode: 0,
  questions: [{ name: "zoo", type: 255, class: 1 }],
  answers: [
    {
      name: "zoo",
      type: "AAAA",
      class: 1,
      ttl: 300,
      address: fromHex("20010db8000000000000000000000001"),
    },
    { name: "zoo", type: "PTR", class: 1, ttl: 300, target: "a.zoo" },
    { name: "zoo", type: "MX", class: 1, ttl: 300, preference: 10, exchange: "zoo" },
    {
      name: "zoo",
      type: "SRV",
      class: 1,
      ttl: 300,
      priority: 1,
      weight: 2,
      port: 53,
      target: "ns0.zoo",
    },
    {
      name: "zoo",
      type: "TXT",
      class: 1,
      ttl: 300,
      strings: [ascii("abc"), ascii(""), ascii("xyz")],
    },
    {
      name: "zoo",
      type: "HTTPS",
      class: 1,
      ttl: 300,
      priority: 1,
      target: ".",
      params: fromHex("0001 0003 026832"),
    },
    { name: "zoo", type: 12345, class: 1, ttl: 300, rdata: fromHex("c00c") },
  ],
  authorities: [
    {
      name: "zoo",
      type: "SOA",
      class: 1,
      ttl: 3600,
      mname: "zoo",
      rname: "admin.zoo",
      serial: 1,
      refresh: 3600,
      retry: 900,
      expire: 604800,
      minimum: 60,
    },
  ],
  additionals: [],
  edns: undefined,
};
