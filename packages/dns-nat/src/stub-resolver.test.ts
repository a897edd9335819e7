import { describe, expect, test } from "bun:test";
import {
  createQuery,
  type DnsMessage,
  decodeMessage,
  type Edns,
  encodeMessage,
  Opcode,
  type QueryOptions,
  Rcode,
  type RecordTypeValue,
} from "@fz/dns";
import {
  ClientDnsResourceNat,
  type DnsResource,
  DOH_CANARY_NAME,
  FORWARD_TIMEOUT_MS,
  isPatternError,
  MAX_PENDING_FORWARDS,
  type NatKey,
  ProxyIpAllocator,
  parsePattern,
  type QueryResult,
  type RandomSource,
  type Sentinel,
  StubResolver,
  type Upstream,
  type UpstreamDropReason,
  type UpstreamResult,
} from "@fz/dns-nat";
import fc from "fast-check";

// ---------------------------------------------------------------------------------------------
// Helpers

/** xorshift32: the same bytes for the same seed, every run. */
function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 1;
  return (into) => {
    for (let i = 0; i < into.length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      into[i] = state & 0xff;
    }
  };
}

/** A broken source that always gives the same bytes. */
const stuckRandom: RandomSource = (into) => into.fill(0x42);

function resource(id: string, text: string, gateway = "gw-1"): DnsResource {
  const pattern = parsePattern(text);
  if (isPatternError(pattern)) throw new Error(pattern.reason);
  return { id, pattern, gateway };
}

function encode(message: DnsMessage): Uint8Array {
  const bytes = encodeMessage(message);
  if (!(bytes instanceof Uint8Array)) throw new Error(`cannot encode: ${bytes.kind}`);
  return bytes;
}

interface QueryShape extends QueryOptions {
  readonly id?: number;
}

function query(name: string, type: RecordTypeValue, shape: QueryShape = {}): Uint8Array {
  const { id = 0x1234, ...options } = shape;
  return encode(createQuery(id, name, type, options));
}

/** Decodes a message the resolver built, and checks that it re-encodes to the same bytes. */
function decoded(bytes: Uint8Array): DnsMessage {
  const message = decodeMessage(bytes);
  if ("kind" in message) throw new Error(`not decodable: ${message.kind}`);
  expect(encode(message)).toEqual(bytes);
  return message;
}

type Answer = Extract<QueryResult, { kind: "answer" }>;
type Forward = Extract<QueryResult, { kind: "forward" }>;
type Deliver<T> = Extract<UpstreamResult<T>, { kind: "deliver" }>;

function expectAnswer(result: QueryResult): Answer & { message: DnsMessage } {
  if (result.kind !== "answer") throw new Error(`expected an answer, got ${result.kind}`);
  return { ...result, message: decoded(result.response) };
}

function expectForward(result: QueryResult): Forward {
  if (result.kind !== "forward") throw new Error(`expected a forward, got ${result.kind}`);
  return result;
}

function expectDeliver<T>(result: UpstreamResult<T>): Deliver<T> {
  if (result.kind !== "deliver") throw new Error(`expected a delivery, got ${result.reason}`);
  return result;
}

function drain<T>(poll: () => T | undefined): T[] {
  const out: T[] = [];
  for (let item = poll(); item !== undefined; item = poll()) out.push(item);
  return out;
}

/** What an upstream would send back: the forwarded query turned into a response. */
function upstreamAnswer(forwarded: Uint8Array, change: Partial<DnsMessage> = {}): Uint8Array {
  const message = decodeMessage(forwarded);
  if ("kind" in message) throw new Error("forwarded query does not decode");
  return encode({
    ...message,
    isResponse: true,
    recursionAvailable: true,
    answers: [
      {
        name: message.questions[0]?.name ?? ".",
        type: "A",
        class: 1,
        ttl: 300,
        address: 0x5db8d822,
      },
    ],
    ...change,
  });
}

const v4Text = (address: number) =>
  [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
const v6Text = (bytes: Uint8Array) =>
  Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  ).join(":");

const UPSTREAMS: readonly Upstream[] = [
  { address: "192.0.2.53", port: 53 },
  { address: "2001:db8::53", port: 5353 },
];
const V4: Sentinel = { family: 4, index: 0 };
const COOKIE_EDNS: Edns = {
  udpPayloadSize: 4096,
  version: 0,
  dnssecOk: true,
  reservedFlags: 0,
  options: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
};

function setup(
  resources: readonly DnsResource[] = [resource("r-app", "app.internal")],
  options: { upstreams?: readonly Upstream[]; random?: RandomSource } = {},
) {
  const allocator = new ProxyIpAllocator();
  const resolver = new StubResolver<string>({
    resources,
    upstreams: options.upstreams ?? UPSTREAMS,
    allocator,
    random: options.random ?? seededRandom(7),
  });
  return { resolver, allocator };
}

// ---------------------------------------------------------------------------------------------

describe("A and AAAA for a DNS resource", () => {
  test("A: the name's 4 IPv4 proxy IPs, TTL 1 s, AA off, RA on, id, question and RD echoed", () => {
    const { resolver, allocator } = setup();
    const answer = expectAnswer(resolver.handleQuery(query("app.internal", "A"), V4, 0, "t"));
    const { message } = answer;
    expect(answer.reason).toBe("proxy-ips");
    expect(message.id).toBe(0x1234);
    expect(message.isResponse).toBe(true);
    expect(message.rcode).toBe(Rcode.NOERROR);
    expect(message.authoritative).toBe(false);
    expect(message.recursionAvailable).toBe(true);
    expect(message.recursionDesired).toBe(true);
    expect(message.questions).toEqual([{ name: "app.internal", type: "A", class: 1 }]);
    expect(message.answers.map((record) => record.type)).toEqual(["A", "A", "A", "A"]);
    expect(message.answers.every((record) => record.ttl === 1 && record.class === 1)).toBe(true);
    expect(
      message.answers.map((record) => (record.type === "A" ? v4Text(record.address) : "")),
    ).toEqual(["100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4"]);
    expect(message.edns).toBeUndefined();
    expect(answer.resourceQuery).toEqual({
      resource: "r-app",
      name: "app.internal",
      gateway: "gw-1",
      proxyIps: allocator.get("app.internal") ?? fail(),
    });
  });

  test("AAAA: the name's 4 IPv6 proxy IPs; RD clear stays clear", () => {
    const { resolver } = setup();
    const { message, resourceQuery } = expectAnswer(
      resolver.handleQuery(
        query("app.internal", "AAAA", { id: 7, recursionDesired: false }),
        V4,
        0,
        "t",
      ),
    );
    expect(message.id).toBe(7);
    expect(message.recursionDesired).toBe(false);
    expect(
      message.answers.map((record) => (record.type === "AAAA" ? v6Text(record.address) : "")),
    ).toEqual([
      "fd00:2021:1111:8000:0:0:0:1",
      "fd00:2021:1111:8000:0:0:0:2",
      "fd00:2021:1111:8000:0:0:0:3",
      "fd00:2021:1111:8000:0:0:0:4",
    ]);
    expect(message.answers.every((record) => record.ttl === 1)).toBe(true);
    expect(resourceQuery?.proxyIps.ipv6).toHaveLength(4);
  });

  test("the proxy IPs are stable across repeated queries, types, case and a trailing dot", () => {
    const { resolver, allocator } = setup([resource("r", "*.corp.internal")]);
    const spellings = ["a.corp.internal", "A.Corp.INTERNAL", "a.corp.internal.", "a.CORP.internal"];
    const addresses = spellings.map((name, i) => {
      const { message } = expectAnswer(resolver.handleQuery(query(name, "A"), V4, i * 1000, "t"));
      return message.answers.map((record) => (record.type === "A" ? record.address : 0));
    });
    for (const seen of addresses) expect(seen).toEqual(addresses[0] ?? []);
    const six = expectAnswer(resolver.handleQuery(query("A.CORP.internal", "AAAA"), V4, 9, "t"));
    expect(six.resourceQuery?.proxyIps).toBe(allocator.get("a.corp.internal") ?? fail());
    expect(allocator.size).toBe(1);
    const other = expectAnswer(resolver.handleQuery(query("b.corp.internal", "A"), V4, 10, "t"));
    expect(other.message.answers[0]?.type === "A" && v4Text(other.message.answers[0].address)).toBe(
      "100.96.0.5",
    );
  });

  test("answers keep the question's case; the NAT gets the name in lower case", () => {
    const { resolver } = setup();
    const { message, resourceQuery } = expectAnswer(
      resolver.handleQuery(query("ApP.InTeRnAl", "A"), V4, 0, "t"),
    );
    expect(message.questions[0]?.name).toBe("ApP.InTeRnAl");
    expect(message.answers.map((record) => record.name)).toEqual(Array(4).fill("ApP.InTeRnAl"));
    expect(resourceQuery?.name).toBe("app.internal");
  });

  test("the allocator is shared: the client's packet path finds the name behind each answer", () => {
    const { resolver, allocator } = setup();
    const { message } = expectAnswer(resolver.handleQuery(query("app.internal", "A"), V4, 0, "t"));
    for (const record of message.answers) {
      expect(record.type === "A" && allocator.nameOfV4(record.address)?.name).toBe("app.internal");
    }
  });

  test("the most specific resource wins: exact > ? > * > **, whatever the configured order", () => {
    const { resolver } = setup([
      resource("double-star", "**.internal", "gw-4"),
      resource("star", "*.b.internal", "gw-3"),
      resource("question", "?.b.internal", "gw-2"),
      resource("exact", "a.b.internal", "gw-1"),
    ]);
    const chosen = (name: string) =>
      expectAnswer(resolver.handleQuery(query(name, "A"), V4, 0, "t")).resourceQuery;
    expect(chosen("A.b.internal")).toMatchObject({ resource: "exact", gateway: "gw-1" });
    expect(chosen("x.b.internal")).toMatchObject({ resource: "question", gateway: "gw-2" });
    expect(chosen("xy.b.internal")).toMatchObject({ resource: "star", gateway: "gw-3" });
    expect(chosen("b.internal")).toMatchObject({ resource: "star", gateway: "gw-3" });
    expect(chosen("c.xy.b.internal")).toMatchObject({ resource: "double-star", gateway: "gw-4" });
    expect(resolver.resourceFor("a.B.internal.")?.id).toBe("exact");
  });

  test("of equally specific resources, the first configured wins", () => {
    const { resolver } = setup([resource("first", "*.internal"), resource("second", "app.*")]);
    expect(resolver.resourceFor("app.internal")?.id).toBe("first");
  });

  test("a resource name is answered locally whatever its gateway (the tunnel decides routing)", () => {
    const { resolver } = setup([resource("r-orphan", "orphan.internal", "gw-nobody-knows")]);
    const { resourceQuery } = expectAnswer(
      resolver.handleQuery(query("orphan.internal", "A"), V4, 0, "t"),
    );
    expect(resourceQuery?.gateway).toBe("gw-nobody-knows");
    expect(resolver.pendingForwards).toBe(0);
  });

  test("a name with an escaped dot matches no resource, although its text looks like one", () => {
    // Three labels, the first "x.y": *.y.b.internal matches its text, not the name.
    const { resolver } = setup([resource("r", "*.y.b.internal")]);
    expect(resolver.resourceFor("x\\.y.b.internal")).toBeUndefined();
    expect(resolver.handleQuery(query("x\\.y.b.internal", "A"), V4, 0, "t").kind).toBe("forward");
    expect(resolver.handleQuery(query("x.y.b.internal", "A"), V4, 0, "t").kind).toBe("answer");
  });

  test("feeds ClientDnsResourceNat: a query while confirmed re-creates the NAT", () => {
    const { resolver } = setup();
    const nat = new ClientDnsResourceNat<number>();
    const first = expectAnswer(resolver.handleQuery(query("app.internal", "A"), V4, 0, "t"));
    const info = first.resourceQuery ?? fail();
    const key: NatKey = { gateway: info.gateway, domain: info.name, resource: info.resource };
    expect(nat.handlePacket(key, info.proxyIps, 1, 10)).toBe("buffered");
    nat.handleDomainStatus(key, true, 20);
    const again = expectAnswer(resolver.handleQuery(query("APP.internal", "AAAA"), V4, 30, "t"));
    const next = again.resourceQuery ?? fail();
    nat.handleQuery(
      { gateway: next.gateway, domain: next.name, resource: next.resource },
      next.proxyIps,
      30,
    );
    expect(nat.state(key)).toBe("recreating");
  });
});

describe("other local answers", () => {
  test("HTTPS for a resource name: empty NOERROR, no proxy IPs assigned", () => {
    const { resolver, allocator } = setup();
    const answer = expectAnswer(resolver.handleQuery(query("app.internal", "HTTPS"), V4, 0, "t"));
    expect(answer.reason).toBe("resource-https");
    expect(answer.message.rcode).toBe(Rcode.NOERROR);
    expect(answer.message.answers).toEqual([]);
    expect(answer.message.questions).toEqual([{ name: "app.internal", type: "HTTPS", class: 1 }]);
    expect(answer.resourceQuery).toBeUndefined();
    expect(allocator.size).toBe(0);
  });

  test("other types for a resource name (TXT, SRV, MX, ANY): empty NOERROR for now", () => {
    const { resolver } = setup();
    for (const type of ["TXT", "SRV", "MX", 255] as const) {
      const answer = expectAnswer(resolver.handleQuery(query("app.internal", type), V4, 0, "t"));
      expect(answer.reason).toBe("resource-other-type");
      expect(answer.message.rcode).toBe(Rcode.NOERROR);
      expect(answer.message.answers).toEqual([]);
      expect(answer.message.questions[0]?.type).toBe(type);
    }
    expect(resolver.pendingForwards).toBe(0);
  });

  test("PTR for an IPv4 proxy IP: the name, TTL 1 s", () => {
    const { resolver } = setup();
    resolver.handleQuery(query("App.Internal", "A"), V4, 0, "t");
    for (const host of [1, 4]) {
      const answer = expectAnswer(
        resolver.handleQuery(query(`${host}.0.96.100.IN-ADDR.arpa`, "PTR"), V4, 0, "t"),
      );
      expect(answer.reason).toBe("proxy-ptr");
      expect(answer.message.answers).toEqual([
        {
          name: `${host}.0.96.100.IN-ADDR.arpa`,
          type: "PTR",
          class: 1,
          ttl: 1,
          target: "app.internal",
        },
      ]);
    }
  });

  test("PTR for an IPv6 proxy IP: the name, TTL 1 s", () => {
    const { resolver } = setup();
    resolver.handleQuery(query("app.internal", "AAAA"), V4, 0, "t");
    const name = `3.${"0.".repeat(15)}0.0.0.8.1.1.1.1.1.2.0.2.0.0.d.f.ip6.arpa`;
    const answer = expectAnswer(resolver.handleQuery(query(name, "PTR"), V4, 0, "t"));
    expect(answer.message.answers).toEqual([
      { name, type: "PTR", class: 1, ttl: 1, target: "app.internal" },
    ]);
  });

  test("PTR for an address that is no proxy IP, or one not given out yet, is forwarded", () => {
    const { resolver } = setup();
    resolver.handleQuery(query("app.internal", "A"), V4, 0, "t");
    for (const name of ["8.8.8.8.in-addr.arpa", "5.0.96.100.in-addr.arpa", "example.com"]) {
      const forward = expectForward(resolver.handleQuery(query(name, "PTR"), V4, 0, "t"));
      expect(forward.upstream).toEqual(UPSTREAMS[0] ?? fail());
    }
  });

  test(`${DOH_CANARY_NAME}: NXDOMAIN for any type and any case`, () => {
    const { resolver } = setup([resource("r", "**.net")]);
    for (const type of ["A", "AAAA", "HTTPS", "TXT"] as const) {
      const answer = expectAnswer(
        resolver.handleQuery(query("USE-Application-DNS.net.", type), V4, 0, "t"),
      );
      expect(answer.reason).toBe("doh-canary");
      expect(answer.message.rcode).toBe(Rcode.NXDOMAIN);
      expect(answer.message.questions[0]?.name).toBe("USE-Application-DNS.net");
      expect(answer.resourceQuery).toBeUndefined();
    }
  });

  test("EDNS is echoed (version 0, DO copied, our UDP size), and absent when the query had none", () => {
    const { resolver } = setup();
    const cases = [
      query("app.internal", "A", { edns: COOKIE_EDNS }),
      query("app.internal", "HTTPS", { edns: { ...COOKIE_EDNS, dnssecOk: false } }),
      query(DOH_CANARY_NAME, "A", { edns: COOKIE_EDNS }),
    ];
    const echoes = cases.map(
      (bytes) => expectAnswer(resolver.handleQuery(bytes, V4, 0, "t")).message.edns,
    );
    expect(echoes.map((edns) => edns?.dnssecOk)).toEqual([true, false, true]);
    for (const edns of echoes) {
      expect(edns).toMatchObject({ version: 0, udpPayloadSize: 1232, options: [] });
    }
    const plain = expectAnswer(resolver.handleQuery(query(DOH_CANARY_NAME, "A"), V4, 0, "t"));
    expect(plain.message.edns).toBeUndefined();
  });
});

describe("forwarding", () => {
  test("goes to the upstream behind the sentinel, under a fresh id, otherwise byte for byte", () => {
    const { resolver } = setup();
    const original = query("www.example.com", "A", { edns: COOKIE_EDNS });
    for (const [index, family] of [
      [0, 4],
      [1, 4],
      [1, 6],
      [0, 6],
    ] as const) {
      const forward = expectForward(resolver.handleQuery(original, { family, index }, 0, "t"));
      expect(forward.upstream).toEqual(UPSTREAMS[index] ?? fail());
      expect(forward.upstreamIndex).toBe(index);
      expect(forward.query.subarray(2)).toEqual(original.subarray(2));
      expect(forward.query).not.toBe(original);
    }
    expect(original[0]).toBe(0x12); // the caller's buffer is untouched
    expect(resolver.pendingForwards).toBe(4);
  });

  test("takes the id from the RandomSource", () => {
    const random = seededRandom(99);
    const expected = new Uint8Array(2);
    seededRandom(99)(expected);
    const { resolver } = setup(undefined, { random });
    const forward = expectForward(resolver.handleQuery(query("example.com", "A"), V4, 0, "t"));
    expect(Array.from(forward.query.subarray(0, 2))).toEqual(Array.from(expected));
  });

  test("ids are unique among pending forwards, even from a source that repeats itself", () => {
    for (const random of [stuckRandom, seededRandom(3)]) {
      const { resolver } = setup(undefined, { random });
      const ids = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const forward = expectForward(resolver.handleQuery(query("example.com", "A"), V4, i, "t"));
        ids.add(((forward.query[0] ?? 0) << 8) | (forward.query[1] ?? 0));
      }
      expect(ids.size).toBe(500);
    }
  });

  test("names that are no resource, and resource names of a class other than IN, are forwarded", () => {
    const { resolver } = setup();
    for (const bytes of [
      query("example.com", "A"),
      query("internal", "A"),
      query("x.app.internal", "AAAA"),
      query("app.internal", "A", { class: 3 }),
      query("app.internal", "TXT", { class: 255 }),
    ]) {
      expect(resolver.handleQuery(bytes, V4, 0, "t").kind).toBe("forward");
    }
  });

  test("a sentinel without an upstream gets SERVFAIL at once", () => {
    const { resolver } = setup(undefined, { upstreams: [] });
    const answer = expectAnswer(resolver.handleQuery(query("example.com", "A"), V4, 0, "t"));
    expect(answer.reason).toBe("no-upstream");
    expect(answer.message.rcode).toBe(Rcode.SERVFAIL);
    expect(answer.message.id).toBe(0x1234);
    const local = expectAnswer(resolver.handleQuery(query("app.internal", "A"), V4, 0, "t"));
    expect(local.reason).toBe("proxy-ips");
    expect(resolver.counters.failedQueries).toBe(1);
  });

  test(`at most ${MAX_PENDING_FORWARDS} forwards wait; the next query gets SERVFAIL`, () => {
    const { resolver } = setup();
    for (let i = 0; i < MAX_PENDING_FORWARDS; i++) {
      expectForward(resolver.handleQuery(query("example.com", "A", { id: i }), V4, 0, "t"));
    }
    const answer = expectAnswer(
      resolver.handleQuery(query("example.com", "A", { id: 9 }), V4, 0, "t"),
    );
    expect(answer.reason).toBe("too-many-pending");
    expect(answer.message.rcode).toBe(Rcode.SERVFAIL);
    expect(answer.message.id).toBe(9);
  });

  test("upstreams can change; queries follow the new list", () => {
    const { resolver } = setup(undefined, { upstreams: [] });
    expect(expectAnswer(resolver.handleQuery(query("example.com", "A"), V4, 0, "t")).reason).toBe(
      "no-upstream",
    );
    resolver.setUpstreams(UPSTREAMS);
    expect(
      resolver.handleQuery(query("example.com", "A"), { family: 6, index: 1 }, 0, "t").kind,
    ).toBe("forward");
    resolver.setResources([resource("r", "example.com")]);
    expect(resolver.handleQuery(query("example.com", "A"), V4, 0, "t").kind).toBe("answer");
  });
});

describe("upstream responses", () => {
  function forwarded(
    resolver: StubResolver<string>,
    token: string,
    now = 0,
    name = "www.example.com",
  ) {
    const original = query(name, "A", { id: 0xbeef, edns: COOKIE_EDNS });
    return expectForward(resolver.handleQuery(original, { family: 6, index: 1 }, now, token));
  }

  test("a matching answer goes back with the original id, its token and sentinel", () => {
    const { resolver } = setup();
    const forward = forwarded(resolver, "client-a");
    const response = upstreamAnswer(forward.query);
    const delivered = expectDeliver(
      resolver.handleUpstreamResponse(response, UPSTREAMS[1] ?? fail(), 10),
    );
    expect(delivered.token).toBe("client-a");
    expect(delivered.sentinel).toEqual({ family: 6, index: 1 });
    expect(delivered.response.subarray(2)).toEqual(response.subarray(2));
    const message = decoded(delivered.response);
    expect(message.id).toBe(0xbeef);
    expect(message.answers).toHaveLength(1);
    expect(resolver.pendingForwards).toBe(0);
    expect(resolver.pollTimeout()).toBeUndefined();
    expect(resolver.counters).toMatchObject({ forwarded: 1, delivered: 1 });
  });

  test("a second copy of the answer, or one with an id nobody waits for, is dropped and counted", () => {
    const { resolver } = setup();
    const forward = forwarded(resolver, "t");
    const response = upstreamAnswer(forward.query);
    const from = UPSTREAMS[1] ?? fail();
    expectDeliver(resolver.handleUpstreamResponse(response, from, 1));
    expect(resolver.handleUpstreamResponse(response, from, 2)).toEqual({
      kind: "drop",
      reason: "unknown-id",
    });
    expect(resolver.handleUpstreamResponse(new Uint8Array(5), from, 2)).toEqual({
      kind: "drop",
      reason: "unreadable",
    });
    expect(resolver.counters.unknownResponses).toBe(2);
  });

  test("mismatched answers are dropped and counted; the forward keeps waiting for the real one", () => {
    const { resolver } = setup();
    const forward = forwarded(resolver, "t");
    const from = UPSTREAMS[1] ?? fail();
    const other = decodeMessage(query("evil.example", "A"));
    if ("kind" in other) throw new Error("unreachable");
    const wrongType = decodeMessage(query("www.example.com", "AAAA"));
    if ("kind" in wrongType) throw new Error("unreachable");
    const good = upstreamAnswer(forward.query);
    const mismatches: [Uint8Array, Upstream, UpstreamDropReason][] = [
      [good, UPSTREAMS[0] ?? fail(), "wrong-upstream"],
      [good, { address: from.address, port: 53 }, "wrong-upstream"],
      [upstreamAnswer(forward.query, { questions: other.questions }), from, "question-mismatch"],
      [
        upstreamAnswer(forward.query, { questions: wrongType.questions }),
        from,
        "question-mismatch",
      ],
      [upstreamAnswer(forward.query, { questions: [] }), from, "question-mismatch"],
      [upstreamAnswer(forward.query, { isResponse: false }), from, "not-a-response"],
      [good.subarray(0, good.length - 3), from, "malformed"],
    ];
    for (const [bytes, source, reason] of mismatches) {
      expect(resolver.handleUpstreamResponse(bytes, source, 1)).toEqual({ kind: "drop", reason });
    }
    expect(resolver.counters.mismatchedResponses).toBe(mismatches.length);
    expect(resolver.pendingForwards).toBe(1);
    expect(expectDeliver(resolver.handleUpstreamResponse(good, from, 2)).token).toBe("t");
  });

  test("the question matches whatever the case the upstream answers in", () => {
    const { resolver } = setup();
    const forward = forwarded(resolver, "t", 0, "WwW.ExAmPlE.CoM");
    const response = upstreamAnswer(forward.query, {
      questions: [{ name: "www.example.com", type: "A", class: 1 }],
    });
    expect(resolver.handleUpstreamResponse(response, UPSTREAMS[1] ?? fail(), 1).kind).toBe(
      "deliver",
    );
  });

  test("answers out of order each find their own query", () => {
    const { resolver } = setup();
    const forwards = ["a", "b", "c"].map((token) =>
      forwarded(resolver, token, 0, `${token}.example.com`),
    );
    const from = UPSTREAMS[1] ?? fail();
    const tokens = [2, 0, 1].map((i) => {
      const forward = forwards[i] ?? fail();
      return expectDeliver(resolver.handleUpstreamResponse(upstreamAnswer(forward.query), from, 1))
        .token;
    });
    expect(tokens).toEqual(["c", "a", "b"]);
  });
});

describe("timeouts", () => {
  test("a forward unanswered for 5 s becomes SERVFAIL with the original id, question and EDNS", () => {
    const { resolver } = setup();
    const original = query("Slow.Example.com", "AAAA", { id: 0x0abc, edns: COOKIE_EDNS });
    const forward = expectForward(resolver.handleQuery(original, V4, 1000, "slow-client"));
    expect(resolver.pollTimeout()).toBe(1000 + FORWARD_TIMEOUT_MS);

    resolver.handleTimeout(1000 + FORWARD_TIMEOUT_MS - 1);
    expect(resolver.pollResponse()).toBeUndefined();
    expect(resolver.pendingForwards).toBe(1);

    resolver.handleTimeout(1000 + FORWARD_TIMEOUT_MS);
    const queued = drain(() => resolver.pollResponse());
    expect(queued).toHaveLength(1);
    const [failure] = queued;
    expect(failure?.token).toBe("slow-client");
    expect(failure?.sentinel).toEqual(V4);
    const message = decoded(failure?.response ?? fail());
    expect(message.id).toBe(0x0abc);
    expect(message.rcode).toBe(Rcode.SERVFAIL);
    expect(message.isResponse).toBe(true);
    expect(message.recursionDesired).toBe(true);
    expect(message.questions).toEqual([{ name: "Slow.Example.com", type: "AAAA", class: 1 }]);
    expect(message.edns).toMatchObject({ version: 0, dnssecOk: true, options: [] });
    expect(resolver.pollTimeout()).toBeUndefined();
    expect(resolver.counters.timedOut).toBe(1);

    const late = upstreamAnswer(forward.query);
    expect(resolver.handleUpstreamResponse(late, UPSTREAMS[0] ?? fail(), 7000)).toEqual({
      kind: "drop",
      reason: "unknown-id",
    });
  });

  test("pollTimeout is the earliest deadline; handleTimeout expires only what is due, in order", () => {
    const { resolver } = setup();
    const at = [0, 1000, 2000, 3000];
    const forwards = at.map((now, i) =>
      expectForward(resolver.handleQuery(query(`n${i}.example.com`, "A"), V4, now, `t${i}`)),
    );
    expect(resolver.pollTimeout()).toBe(FORWARD_TIMEOUT_MS);
    expectDeliver(
      resolver.handleUpstreamResponse(
        upstreamAnswer(forwards[0]?.query ?? fail()),
        UPSTREAMS[0] ?? fail(),
        100,
      ),
    );
    expect(resolver.pollTimeout()).toBe(1000 + FORWARD_TIMEOUT_MS);
    resolver.handleTimeout(2000 + FORWARD_TIMEOUT_MS);
    expect(drain(() => resolver.pollResponse()).map((response) => response.token)).toEqual([
      "t1",
      "t2",
    ]);
    expect(resolver.pollTimeout()).toBe(3000 + FORWARD_TIMEOUT_MS);
  });

  test("a clock that goes back never puts a deadline before an earlier one", () => {
    const { resolver } = setup();
    const a = expectForward(resolver.handleQuery(query("a.example.com", "A"), V4, 1000, "a"));
    resolver.handleQuery(query("b.example.com", "A"), V4, 500, "b");
    resolver.handleQuery(query("c.example.com", "A"), V4, 400, "c");
    expect(resolver.pollTimeout()).toBe(1000 + FORWARD_TIMEOUT_MS);
    const answer = upstreamAnswer(a.query);
    expectDeliver(resolver.handleUpstreamResponse(answer, UPSTREAMS[0] ?? fail(), 600));
    expect(resolver.pollTimeout()).toBe(1000 + FORWARD_TIMEOUT_MS);
    resolver.handleTimeout(1000 + FORWARD_TIMEOUT_MS - 1);
    expect(resolver.pollResponse()).toBeUndefined();
    resolver.handleTimeout(1000 + FORWARD_TIMEOUT_MS);
    expect(drain(() => resolver.pollResponse()).map((response) => response.token)).toEqual([
      "b",
      "c",
    ]);
  });
});

describe("malformed queries", () => {
  test("shorter than a header: dropped", () => {
    const { resolver } = setup();
    for (const length of [0, 1, 11]) {
      expect(resolver.handleQuery(new Uint8Array(length), V4, 0, "t")).toEqual({
        kind: "drop",
        reason: "unreadable",
      });
    }
    expect(resolver.counters.malformedQueries).toBe(3);
  });

  test("QR set: dropped, never answered, so that two resolvers cannot answer each other", () => {
    const { resolver } = setup();
    const response = upstreamAnswer(query("example.com", "A"));
    expect(resolver.handleQuery(response, V4, 0, "t")).toEqual({
      kind: "drop",
      reason: "not-a-query",
    });
    const garbage = Uint8Array.of(0, 1, 0x80, 0, 0, 9, 0, 0, 0, 0, 0, 0, 7);
    expect(resolver.handleQuery(garbage, V4, 0, "t").kind).toBe("drop");
  });

  test("undecodable with a readable header: FORMERR echoing id, opcode, RD and CD", () => {
    const { resolver } = setup();
    const good = query("app.internal", "A", { id: 0x4321 });
    for (const bytes of [good.subarray(0, good.length - 1), Uint8Array.of(...good, 0)]) {
      const answer = expectAnswer(resolver.handleQuery(bytes, V4, 0, "t"));
      expect(answer.reason).toBe("malformed");
      expect(answer.message).toMatchObject({
        id: 0x4321,
        isResponse: true,
        rcode: Rcode.FORMERR,
        recursionDesired: true,
        questions: [],
      });
    }
    const cd = Uint8Array.of(0xaa, 0xbb, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0);
    const answer = expectAnswer(resolver.handleQuery(cd, V4, 0, "t"));
    expect(answer.message).toMatchObject({
      id: 0xaabb,
      checkingDisabled: true,
      rcode: Rcode.FORMERR,
    });
  });

  test("no question: FORMERR; several questions: FORMERR echoing them all", () => {
    const { resolver } = setup();
    const base = createQuery(5, "app.internal", "A");
    const none = expectAnswer(resolver.handleQuery(encode({ ...base, questions: [] }), V4, 0, "t"));
    expect(none.message.rcode).toBe(Rcode.FORMERR);
    const questions = [
      { name: "app.internal", type: "A", class: 1 },
      { name: "example.com", type: "A", class: 1 },
    ] as const;
    const two = expectAnswer(resolver.handleQuery(encode({ ...base, questions }), V4, 0, "t"));
    expect(two.message.rcode).toBe(Rcode.FORMERR);
    expect(two.message.questions).toEqual([...questions]);
    expect(two.message.answers).toEqual([]);
    expect(resolver.pendingForwards).toBe(0);
  });

  test("an opcode other than QUERY: NOTIMP", () => {
    const { resolver } = setup();
    for (const opcode of [Opcode.IQUERY, Opcode.STATUS, Opcode.NOTIFY, Opcode.UPDATE, 15]) {
      const bytes = encode({ ...createQuery(5, "example.com", "SOA"), opcode });
      const answer = expectAnswer(resolver.handleQuery(bytes, V4, 0, "t"));
      expect(answer.message).toMatchObject({ rcode: Rcode.NOTIMP, opcode, id: 5 });
    }
    expect(resolver.pendingForwards).toBe(0);
  });

  test("an EDNS version other than 0: BADVERS with an OPT of version 0", () => {
    const { resolver } = setup();
    const bytes = query("app.internal", "A", { edns: { ...COOKIE_EDNS, version: 1 } });
    const answer = expectAnswer(resolver.handleQuery(bytes, V4, 0, "t"));
    expect(answer.reason).toBe("bad-edns-version");
    expect(answer.message.rcode).toBe(Rcode.BADVERS);
    expect(answer.message.edns?.version).toBe(0);
  });

  const validQuery = fc
    .record({
      id: fc.integer({ min: 0, max: 0xffff }),
      name: fc.constantFrom(
        "app.internal",
        "APP.Internal",
        "x.app.internal",
        "example.com",
        DOH_CANARY_NAME,
        "1.0.96.100.in-addr.arpa",
        "8.8.8.8.in-addr.arpa",
      ),
      type: fc.constantFrom<RecordTypeValue>("A", "AAAA", "HTTPS", "TXT", "PTR", "SRV", 255),
      edns: fc.boolean(),
      recursionDesired: fc.boolean(),
    })
    .map(({ id, name, type, edns, recursionDesired }) =>
      query(name, type, { id, recursionDesired, ...(edns ? { edns: COOKIE_EDNS } : {}) }),
    );

  const mutatedQuery = fc
    .tuple(
      validQuery,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([bytes, edits, cut, tail]) => {
      const mutated = Uint8Array.from(bytes);
      for (const [at, value] of edits) mutated[at % mutated.length] = value;
      const kept = cut === null ? mutated : mutated.subarray(0, cut % (mutated.length + 1));
      return Uint8Array.of(...kept, ...tail);
    });

  /** Whatever comes in: no throw, and every answer or forward is a well-formed message. */
  function checkNeverThrows(resolver: StubResolver<string>, bytes: Uint8Array, now: number) {
    const result = resolver.handleQuery(bytes, { family: 4, index: now % 3 }, now, "t");
    if (result.kind === "answer") {
      const message = decoded(result.response);
      expect(message.isResponse).toBe(true);
      expect(message.id).toBe(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0));
    } else if (result.kind === "forward") {
      expect(result.query.subarray(2)).toEqual(bytes.subarray(2));
      expect("kind" in decodeMessage(result.query)).toBe(false);
    }
    resolver.handleTimeout(now);
    for (const queued of drain(() => resolver.pollResponse())) decoded(queued.response);
    expect(resolver.pendingForwards).toBeLessThanOrEqual(MAX_PENDING_FORWARDS);
  }

  test("random bytes never throw", () => {
    const { resolver } = setup();
    let now = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        now += 97;
        checkNeverThrows(resolver, bytes, now);
      }),
      { numRuns: 2000 },
    );
  });

  test("mutated queries never throw", () => {
    const { resolver } = setup([resource("r-app", "app.internal"), resource("r-any", "**.arpa")]);
    let now = 0;
    fc.assert(
      fc.property(mutatedQuery, (bytes) => {
        now += 131;
        checkNeverThrows(resolver, bytes, now);
      }),
      { numRuns: 3000 },
    );
  });

  test("random and mutated upstream responses never throw and never deliver to the wrong query", () => {
    const { resolver } = setup();
    const from = UPSTREAMS[0] ?? fail();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutatedQuery), (bytes) => {
        resolver.handleQuery(query("www.example.com", "A"), V4, 0, "t");
        const result = resolver.handleUpstreamResponse(bytes, from, 0);
        if (result.kind === "deliver") {
          const message = decodeMessage(result.response);
          expect("kind" in message || message.questions[0]?.name.toLowerCase()).toBe(
            "www.example.com",
          );
        }
      }),
      { numRuns: 1000 },
    );
  });
});

function fail(): never {
  throw new Error("missing value");
}
