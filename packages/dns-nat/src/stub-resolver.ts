import {
  buildResponse,
  DnsClass,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  HEADER_BYTES,
  HeaderFlag,
  Opcode,
  type Question,
  Rcode,
  type ResourceRecord,
} from "@fz/dns";
import { mostSpecificMatch, type NamePattern, normalizeName } from "./pattern.ts";
import { PendingForwards } from "./pending-forwards.ts";
import type { ProxyIpAllocator, ProxyIps } from "./proxy-ips.ts";
import { parseReverseName } from "./reverse-name.ts";
import { MAX_UPSTREAMS, TooManyUpstreamsError } from "./sentinels.ts";

/** How long a forwarded query waits for its upstream before the client gets SERVFAIL. */
export const FORWARD_TIMEOUT_MS = 5000;
/** TTL of every local answer, so that applications ask again and each query reaches the NAT. */
export const LOCAL_ANSWER_TTL_SECONDS = 1;
/** Forwards in flight at most; a query beyond that is answered SERVFAIL at once. */
export const MAX_PENDING_FORWARDS = 1024;
/** Firefox's canary name: NXDOMAIN for it turns off Firefox's own DNS over HTTPS. */
export const DOH_CANARY_NAME = "use-application-dns.net";

/** A DNS resource: names matching `pattern` are answered with proxy IPs and reached through `gateway`. */
export interface DnsResource {
  readonly id: string;
  readonly pattern: NamePattern;
  readonly gateway: string;
}

/** A DNS server the client forwards to; `address` is compared as written. */
export interface Upstream {
  readonly address: string;
  readonly port: number;
}

/** Fills `into` with random bytes (crypto.getRandomValues in the shell, a seeded one in tests). */
export type RandomSource = (into: Uint8Array) => void;

/** Which sentinel a query was sent to: `index` is the upstream's 0-based position. */
export interface Sentinel {
  readonly family: 4 | 6;
  readonly index: number;
}

export interface StubResolverConfig {
  readonly resources: readonly DnsResource[];
  /** In order: upstream `i` is behind sentinel `i` of each family. */
  readonly upstreams: readonly Upstream[];
  /** Shared with the client's packet path, which looks proxy IPs up in it. */
  readonly allocator: ProxyIpAllocator;
  readonly random: RandomSource;
}

/** A query answered with a resource's proxy IPs: tell ClientDnsResourceNat.handleQuery. */
export interface ResourceQuery {
  /** The resource's id. */
  readonly resource: string;
  /** The name asked for, lower case without a trailing dot (the NAT's `domain`). */
  readonly name: string;
  readonly gateway: string;
  readonly proxyIps: ProxyIps;
}

/** Why a query was answered locally. */
export type LocalAnswerReason =
  /** A or AAAA for a resource name: its proxy IPs. */
  | "proxy-ips"
  /** HTTPS for a resource name: empty, so the application asks for A / AAAA. */
  | "resource-https"
  /** Another type for a resource name: empty (Firezone sends SRV and TXT to the gateway). */
  | "resource-other-type"
  /** PTR for a proxy IP: the name it stands for. */
  | "proxy-ptr"
  /** `use-application-dns.net`: NXDOMAIN. */
  | "doh-canary"
  /** FORMERR: undecodable, no question, or more than one. */
  | "malformed"
  /** NOTIMP: an opcode other than QUERY. */
  | "not-implemented"
  /** BADVERS: an EDNS version other than 0. */
  | "bad-edns-version"
  /** SERVFAIL: no upstream behind this sentinel. */
  | "no-upstream"
  /** SERVFAIL: MAX_PENDING_FORWARDS are in flight. */
  | "too-many-pending"
  /** SERVFAIL: the proxy ranges are used up. */
  | "proxy-ips-exhausted";

/** What to do with a query that arrived at a sentinel. */
export type QueryResult =
  /** Send `response` back to the querier. */
  | {
      readonly kind: "answer";
      readonly response: Uint8Array;
      readonly reason: LocalAnswerReason;
      readonly resourceQuery: ResourceQuery | undefined;
    }
  /** Send `query` (a copy under a fresh id) to `upstream`; the answer comes back through handleUpstreamResponse. */
  | {
      readonly kind: "forward";
      readonly upstream: Upstream;
      readonly upstreamIndex: number;
      readonly query: Uint8Array;
    }
  /** Send nothing. */
  | { readonly kind: "drop"; readonly reason: QueryDropReason };

export type QueryDropReason =
  /** Shorter than a DNS header: nothing to answer to. */
  | "unreadable"
  /** QR is set: never answer a response, or two resolvers could answer each other forever. */
  | "not-a-query"
  /** The answer could not be encoded (not expected to happen). */
  | "encode-failed";

/** What to do with a message from an upstream. */
export type UpstreamResult<T> =
  /** Send `response` (a copy with the querier's id) to the querier behind `token`, from `sentinel`. */
  | {
      readonly kind: "deliver";
      readonly response: Uint8Array;
      readonly token: T;
      readonly sentinel: Sentinel;
    }
  | { readonly kind: "drop"; readonly reason: UpstreamDropReason };

export type UpstreamDropReason =
  | "unreadable"
  | "unknown-id"
  | "wrong-upstream"
  | "not-a-response"
  | "malformed"
  | "question-mismatch";

/** A response the resolver produced on its own (SERVFAIL after a timeout), for the querier behind `token`. */
export interface QueuedResponse<T> {
  readonly response: Uint8Array;
  readonly token: T;
  readonly sentinel: Sentinel;
}

/** Running totals since the resolver was made. */
export interface StubResolverCounters {
  readonly answeredLocally: number;
  readonly forwarded: number;
  readonly delivered: number;
  /** Undecodable, QR set, no question or several, opcode not QUERY, EDNS version not 0. */
  readonly malformedQueries: number;
  /** Answered SERVFAIL at once: no upstream, too many pending, no proxy IPs, or not encodable. */
  readonly failedQueries: number;
  readonly timedOut: number;
  /** Responses too short to read or whose id no pending forward has (late ones included). */
  readonly unknownResponses: number;
  /** Responses with a pending id but the wrong upstream, question, QR bit or an undecodable body. */
  readonly mismatchedResponses: number;
}

/**
 * The client's DNS stub resolver, sans-IO: it answers queries for DNS resources with proxy IPs
 * and forwards the rest to the upstream behind the sentinel they were sent to. The shell owns
 * sockets, framing and the clock; `T` is whatever it needs to route an answer back (a source
 * address and transport, say).
 *
 * - Names match case-insensitively; answers keep the question's spelling.
 * - A query with more than one question gets FORMERR (a forwarder cannot split it, and no common
 *   resolver sends one). A query of a class other than IN is forwarded.
 * - A name containing an escape (`\.`, `\DDD`) matches no resource: patterns cannot spell one.
 * - The resolver knows nothing about gateways: a resource name is answered locally whether or
 *   not its gateway is reachable; the tunnel decides what happens to the packets.
 * - TODO: Firezone forwards SRV and TXT for resource names through the tunnel to the gateway
 *   (`<gateway tunnel IP>:53535`); this resolver answers every type other than A, AAAA and HTTPS
 *   for a resource name with an empty NOERROR instead.
 */
export class StubResolver<T> {
  #resources: readonly DnsResource[] = [];
  #upstreams: readonly Upstream[] = [];
  readonly #allocator: ProxyIpAllocator;
  readonly #pending: PendingForwards<T>;
  readonly #queued: QueuedResponse<T>[] = [];
  readonly #counters = {
    answeredLocally: 0,
    forwarded: 0,
    delivered: 0,
    malformedQueries: 0,
    failedQueries: 0,
    timedOut: 0,
    unknownResponses: 0,
    mismatchedResponses: 0,
  };

  constructor(config: StubResolverConfig) {
    this.#allocator = config.allocator;
    this.#pending = new PendingForwards(config.random);
    this.setResources(config.resources);
    this.setUpstreams(config.upstreams);
  }

  /** Replaces the DNS resources; proxy IPs already given out stay with their names. */
  setResources(resources: readonly DnsResource[]): void {
    this.#resources = [...resources];
  }

  /** Replaces the upstreams (at most MAX_UPSTREAMS); forwards in flight still go to their old one. */
  setUpstreams(upstreams: readonly Upstream[]): void {
    if (upstreams.length > MAX_UPSTREAMS) throw new TooManyUpstreamsError(upstreams.length);
    this.#upstreams = [...upstreams];
  }

  /** The resource a name belongs to: the most specific matching pattern, the first configured on a tie. */
  resourceFor(name: string): DnsResource | undefined {
    if (name.includes("\\")) return undefined;
    return mostSpecificMatch(this.#resources, name);
  }

  /** A DNS message that arrived at a sentinel; never throws. */
  handleQuery(query: Uint8Array, sentinel: Sentinel, now: number, token: T): QueryResult {
    if (query.length < HEADER_BYTES) return this.#dropMalformed("unreadable");
    const flags = ((query[2] ?? 0) << 8) | (query[3] ?? 0);
    if ((flags & HeaderFlag.QR) !== 0) return this.#dropMalformed("not-a-query");

    const message = decodeMessage(query);
    if ("kind" in message) {
      this.#counters.malformedQueries++;
      return this.#answer(headerOnlyQuery(query, flags), Rcode.FORMERR, [], "malformed");
    }
    if (message.opcode !== Opcode.QUERY) {
      this.#counters.malformedQueries++;
      return this.#answer(message, Rcode.NOTIMP, [], "not-implemented");
    }
    if (message.edns !== undefined && message.edns.version !== 0) {
      this.#counters.malformedQueries++;
      return this.#answer(message, Rcode.BADVERS, [], "bad-edns-version");
    }
    const question = message.questions[0];
    if (question === undefined || message.questions.length > 1) {
      this.#counters.malformedQueries++;
      return this.#answer(message, Rcode.FORMERR, [], "malformed");
    }
    if (question.class !== DnsClass.IN) return this.#forward(message, query, sentinel, now, token);
    return this.#resolve(message, question, query, sentinel, now, token);
  }

  /** A message from an upstream; delivers it if it answers a pending forward, else drops it. */
  handleUpstreamResponse(response: Uint8Array, from: Upstream, _now: number): UpstreamResult<T> {
    if (response.length < HEADER_BYTES) return this.#dropUnknown("unreadable");
    const id = ((response[0] ?? 0) << 8) | (response[1] ?? 0);
    const pending = this.#pending.get(id);
    if (pending === undefined) return this.#dropUnknown("unknown-id");
    if (pending.upstream.address !== from.address || pending.upstream.port !== from.port) {
      return this.#dropMismatched("wrong-upstream");
    }
    const message = decodeMessage(response);
    if ("kind" in message) return this.#dropMismatched("malformed");
    if (!message.isResponse) return this.#dropMismatched("not-a-response");
    const asked = pending.query.questions[0];
    const answered = message.questions[0];
    if (
      message.questions.length !== 1 ||
      asked === undefined ||
      answered === undefined ||
      !sameQuestion(asked, answered)
    ) {
      return this.#dropMismatched("question-mismatch");
    }

    this.#pending.delete(id);
    this.#counters.delivered++;
    const restored = response.slice();
    restored[0] = pending.query.id >>> 8;
    restored[1] = pending.query.id & 0xff;
    return {
      kind: "deliver",
      response: restored,
      token: pending.token,
      sentinel: pending.sentinel,
    };
  }

  /** When handleTimeout is next due: the earliest pending deadline, or undefined when none. */
  pollTimeout(): number | undefined {
    return this.#pending.earliestDeadline();
  }

  /** Expires forwards whose 5 s are up; their SERVFAIL answers come out of pollResponse. */
  handleTimeout(now: number): void {
    for (const forward of this.#pending.expire(now)) {
      this.#counters.timedOut++;
      const response = encodeMessage(buildResponse(forward.query, Rcode.SERVFAIL, []));
      if (!(response instanceof Uint8Array)) continue;
      this.#queued.push({ response, token: forward.token, sentinel: forward.sentinel });
    }
  }

  /** The next response the resolver made on its own, oldest first. */
  pollResponse(): QueuedResponse<T> | undefined {
    return this.#queued.shift();
  }

  /** Forwards waiting for an upstream. */
  get pendingForwards(): number {
    return this.#pending.size;
  }

  get counters(): StubResolverCounters {
    return { ...this.#counters };
  }

  #resolve(
    message: DnsMessage,
    question: Question,
    query: Uint8Array,
    sentinel: Sentinel,
    now: number,
    token: T,
  ): QueryResult {
    const name = normalizeName(question.name);
    if (name === DOH_CANARY_NAME) return this.#answer(message, Rcode.NXDOMAIN, [], "doh-canary");

    if (question.type === "PTR") {
      const proxied = this.#proxiedName(name);
      if (proxied === undefined) return this.#forward(message, query, sentinel, now, token);
      const ptr: ResourceRecord = {
        name: question.name,
        type: "PTR",
        class: DnsClass.IN,
        ttl: LOCAL_ANSWER_TTL_SECONDS,
        target: proxied,
      };
      return this.#answer(message, Rcode.NOERROR, [ptr], "proxy-ptr");
    }

    const resource = this.resourceFor(name);
    if (resource === undefined) return this.#forward(message, query, sentinel, now, token);
    switch (question.type) {
      case "A":
      case "AAAA": {
        const proxyIps = this.#allocator.assign(name);
        if (proxyIps === undefined) {
          this.#counters.failedQueries++;
          return this.#answer(message, Rcode.SERVFAIL, [], "proxy-ips-exhausted");
        }
        const answers = proxyRecords(question, proxyIps);
        const resourceQuery: ResourceQuery = {
          resource: resource.id,
          name: proxyIps.name,
          gateway: resource.gateway,
          proxyIps,
        };
        return this.#answer(message, Rcode.NOERROR, answers, "proxy-ips", resourceQuery);
      }
      case "HTTPS":
        return this.#answer(message, Rcode.NOERROR, [], "resource-https");
      default:
        // TODO: SRV and TXT belong to the gateway's resolver (Firezone: through the tunnel to
        // <gateway tunnel IP>:53535); until the tunnel can carry them, an empty answer.
        return this.#answer(message, Rcode.NOERROR, [], "resource-other-type");
    }
  }

  #forward(
    message: DnsMessage,
    query: Uint8Array,
    sentinel: Sentinel,
    now: number,
    token: T,
  ): QueryResult {
    const upstream = this.#upstreams[sentinel.index];
    if (upstream === undefined) {
      this.#counters.failedQueries++;
      return this.#answer(message, Rcode.SERVFAIL, [], "no-upstream");
    }
    if (this.#pending.size >= MAX_PENDING_FORWARDS) {
      this.#counters.failedQueries++;
      return this.#answer(message, Rcode.SERVFAIL, [], "too-many-pending");
    }
    const id = this.#pending.freeId();
    const bytes = query.slice();
    bytes[0] = id >>> 8;
    bytes[1] = id & 0xff;
    this.#pending.add(
      { id, query: retainable(message), upstream, sentinel, token },
      now + FORWARD_TIMEOUT_MS,
    );
    this.#counters.forwarded++;
    return { kind: "forward", upstream, upstreamIndex: sentinel.index, query: bytes };
  }

  #answer(
    query: DnsMessage,
    rcode: number,
    answers: readonly ResourceRecord[],
    reason: LocalAnswerReason,
    resourceQuery?: ResourceQuery,
  ): QueryResult {
    const response = encodeMessage(buildResponse(query, rcode, answers));
    if (!(response instanceof Uint8Array)) {
      this.#counters.failedQueries++;
      return { kind: "drop", reason: "encode-failed" };
    }
    this.#counters.answeredLocally++;
    return { kind: "answer", response, reason, resourceQuery };
  }

  #proxiedName(reverseName: string): string | undefined {
    const reverse = parseReverseName(reverseName);
    if (reverse === undefined) return undefined;
    const proxyIps =
      reverse.family === 4
        ? this.#allocator.nameOfV4(reverse.address)
        : this.#allocator.nameOfV6(reverse.address);
    return proxyIps?.name;
  }

  #dropMalformed(reason: QueryDropReason): QueryResult {
    this.#counters.malformedQueries++;
    return { kind: "drop", reason };
  }

  #dropUnknown(reason: UpstreamDropReason): UpstreamResult<T> {
    this.#counters.unknownResponses++;
    return { kind: "drop", reason };
  }

  #dropMismatched(reason: UpstreamDropReason): UpstreamResult<T> {
    this.#counters.mismatchedResponses++;
    return { kind: "drop", reason };
  }
}

function proxyRecords(question: Question, proxyIps: ProxyIps): ResourceRecord[] {
  const common = { name: question.name, class: DnsClass.IN, ttl: LOCAL_ANSWER_TTL_SECONDS };
  return question.type === "A"
    ? proxyIps.ipv4.map((address) => ({ ...common, type: "A", address }))
    : proxyIps.ipv6.map((address) => ({ ...common, type: "AAAA", address }));
}

function sameQuestion(asked: Question, answered: Question): boolean {
  return (
    asked.type === answered.type &&
    asked.class === answered.class &&
    normalizeName(asked.name) === normalizeName(answered.name)
  );
}

const NONE: readonly never[] = Object.freeze([]);

/** The query without anything that may be a view of the caller's buffer. */
function retainable(message: DnsMessage): DnsMessage {
  return {
    ...message,
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
    edns: message.edns === undefined ? undefined : { ...message.edns, options: NONE },
  };
}

/** A query with only the header's id, opcode, RD and CD: enough to say FORMERR. */
function headerOnlyQuery(bytes: Uint8Array, flags: number): DnsMessage {
  return {
    id: ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0),
    isResponse: false,
    opcode: (flags >>> 11) & 0xf,
    authoritative: false,
    truncated: false,
    recursionDesired: (flags & HeaderFlag.RD) !== 0,
    recursionAvailable: false,
    z: false,
    authenticData: false,
    checkingDisabled: (flags & HeaderFlag.CD) !== 0,
    rcode: Rcode.NOERROR,
    questions: NONE,
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
    edns: undefined,
  };
}
