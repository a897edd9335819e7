import { formatTable, median, writeBenchResults } from "@fz/bench";
import {
  createQuery,
  type DnsMessage,
  decodeMessage,
  type Edns,
  EdnsOptionCode,
  encodeMessage,
  encodeMessageInto,
  noErrorResponse,
  type ResourceRecord,
} from "@fz/dns";
import { handRolledAnswer, walkMessage } from "./hand-rolled.ts";

/**
 * What the stub resolver does per query, with @fz/dns and with the hand-rolled byte patching of
 * ./hand-rolled.ts as the baseline: parse an A (or AAAA) query as dig sends it (EDNS with a
 * cookie), build the NOERROR response with 4 proxy addresses (TTL 1) and encode it into a reused
 * packet buffer. Then parse a compressed multi-record response. Each figure is the median of
 * REPEATS timed runs of OPS operations, after WARMUP_OPS untimed ones.
 */
const OPS = Number(process.env.BENCH_OPS ?? 500_000);
const WARMUP_OPS = Number(process.env.BENCH_WARMUP_OPS ?? 200_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

const DIG_EDNS: Edns = {
  udpPayloadSize: 1232,
  version: 0,
  dnssecOk: false,
  reservedFlags: 0,
  options: [{ code: EdnsOptionCode.COOKIE, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
};

function bytesOf(message: DnsMessage): Uint8Array {
  const bytes = encodeMessage(message);
  if (!(bytes instanceof Uint8Array)) throw new Error(`bench input: ${bytes.kind}`);
  return bytes;
}

const A_QUERY = bytesOf(createQuery(0x1234, "app.corp.example.com", "A", { edns: DIG_EDNS }));
const AAAA_QUERY = bytesOf(createQuery(0x1235, "app.corp.example.com", "AAAA", { edns: DIG_EDNS }));
const PROXY_V4 = [0x64600000, 0x64600001, 0x64600002, 0x64600003];
const PROXY_V6 = PROXY_V4.map((_, i) =>
  Uint8Array.of(0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, i),
);
const PROXY_V4_RDATA = PROXY_V4.map((ip) =>
  Uint8Array.of(ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff),
);

/** www.example.com -> CNAME edge.cdn.example.net -> 6 addresses, with EDNS: 174 bytes. */
const COMPRESSED_RESPONSE = bytesOf(
  noErrorResponse(createQuery(0x1236, "www.example.com", "A", { edns: DIG_EDNS }), [
    { name: "www.example.com", type: "CNAME", class: 1, ttl: 300, target: "edge.cdn.example.net" },
    ...[1, 2, 3, 4, 5, 6].map(
      (i): ResourceRecord => ({
        name: "edge.cdn.example.net",
        type: "A",
        class: 1,
        ttl: 60,
        address: 0xc6120000 + i,
      }),
    ),
  ]),
);

const packet = new Uint8Array(1500);

/** Parse the query, answer it with the proxy addresses, encode into the packet buffer. */
function answerWithCodec(query: Uint8Array, ipv6: boolean): number {
  const parsed = decodeMessage(query);
  if ("kind" in parsed) return -1;
  const question = parsed.questions[0];
  if (question === undefined) return -1;
  const answers: ResourceRecord[] = ipv6
    ? PROXY_V6.map((address) => ({ name: question.name, type: "AAAA", class: 1, ttl: 1, address }))
    : PROXY_V4.map((address) => ({ name: question.name, type: "A", class: 1, ttl: 1, address }));
  const length = encodeMessageInto(noErrorResponse(parsed, answers), packet);
  return typeof length === "number" ? length : -1;
}

interface Case {
  readonly case: string;
  readonly impl: "@fz/dns" | "hand-rolled";
  readonly run: () => number;
}

const CASES: readonly Case[] = [
  {
    case: "A query: parse + respond (4 A)",
    impl: "@fz/dns",
    run: () => answerWithCodec(A_QUERY, false),
  },
  {
    case: "A query: parse + respond (4 A)",
    impl: "hand-rolled",
    run: () => handRolledAnswer(A_QUERY, 1, PROXY_V4_RDATA, packet),
  },
  {
    case: "AAAA query: parse + respond (4 AAAA)",
    impl: "@fz/dns",
    run: () => answerWithCodec(AAAA_QUERY, true),
  },
  {
    case: "AAAA query: parse + respond (4 AAAA)",
    impl: "hand-rolled",
    run: () => handRolledAnswer(AAAA_QUERY, 28, PROXY_V6, packet),
  },
  {
    case: "parse compressed response (CNAME + 6 A)",
    impl: "@fz/dns",
    run: () => {
      const parsed = decodeMessage(COMPRESSED_RESPONSE);
      return "kind" in parsed ? -1 : parsed.answers.length;
    },
  },
  {
    case: "parse compressed response (CNAME + 6 A)",
    impl: "hand-rolled",
    run: () => walkMessage(COMPRESSED_RESPONSE),
  },
];

/** Nanoseconds per operation of one timed run; the results feed a checksum the JIT cannot drop. */
function timedRun(run: () => number, ops: number): number {
  let checksum = 0;
  const began = Bun.nanoseconds();
  for (let i = 0; i < ops; i++) checksum += run();
  const elapsed = Bun.nanoseconds() - began;
  if (checksum <= 0) throw new Error("a benchmark case failed");
  return elapsed / ops;
}

for (const { run } of CASES) if (run() <= 0) throw new Error("a benchmark case failed");

const rows = CASES.map((c) => {
  timedRun(c.run, WARMUP_OPS);
  const samples = Array.from({ length: REPEATS }, () => timedRun(c.run, OPS));
  const ns = median(samples);
  return { case: c.case, impl: c.impl, ns_per_op: ns, ops_per_s: Math.round(1e9 / ns) };
});

const ratios = [...new Set(rows.map((row) => row.case))].map((name) => {
  const nsOf = (impl: Case["impl"]) =>
    rows.find((row) => row.case === name && row.impl === impl)?.ns_per_op ?? Number.NaN;
  return { case: name, codec_over_hand_rolled: nsOf("@fz/dns") / nsOf("hand-rolled") };
});

console.log(`dns: ${OPS} ops per run, median of ${REPEATS} runs after ${WARMUP_OPS} warm-up ops\n`);
console.log(formatTable(rows, ["case", "impl", "ns_per_op", "ops_per_s"]));
console.log("\nratios (time; the hand-rolled baseline builds no parsed form)\n");
console.log(formatTable(ratios, ["case", "codec_over_hand_rolled"], 2));

const path = writeBenchResults("dns", {
  ops_per_run: OPS,
  warmup_ops: WARMUP_OPS,
  repeats: REPEATS,
  message_bytes: {
    a_query: A_QUERY.length,
    aaaa_query: AAAA_QUERY.length,
    compressed_response: COMPRESSED_RESPONSE.length,
  },
  rows,
  ratios,
});
console.log(`\nwrote ${path}`);
