import { DEFAULT_UDP_PAYLOAD_SIZE, DnsClass, Opcode, Rcode } from "./constants.ts";
import type { DnsMessage, Edns, RecordTypeValue, ResourceRecord } from "./message.ts";

/** Extra sections and the EDNS size for a response. */
export interface ResponseOptions {
  /** The authority section, e.g. a SOA so that a negative answer can be cached (RFC 2308). */
  readonly authorities?: readonly ResourceRecord[];
  readonly additionals?: readonly ResourceRecord[];
  /** The UDP payload size to advertise when the query had EDNS. Default 1232. */
  readonly udpPayloadSize?: number;
}

/**
 * Builds the response a recursive resolver gives to `query`: same id, opcode and questions, RD
 * and CD copied, QR and RA set, AA, TC and AD clear. A query with EDNS gets an OPT back (version
 * 0, DO copied, no options; RFC 6891 and RFC 3225); one without gets none. An rcode above 15
 * needs the query to have had EDNS.
 */
export function buildResponse(
  query: DnsMessage,
  rcode: number,
  answers: readonly ResourceRecord[],
  options?: ResponseOptions,
): DnsMessage {
  return {
    id: query.id,
    isResponse: true,
    opcode: query.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: true,
    z: false,
    authenticData: false,
    checkingDisabled: query.checkingDisabled,
    rcode,
    questions: query.questions,
    answers,
    authorities: options?.authorities ?? NONE,
    additionals: options?.additionals ?? NONE,
    edns: query.edns === undefined ? undefined : echoEdns(query.edns, options?.udpPayloadSize),
  };
}

/** A NOERROR response with `answers`. */
export function noErrorResponse(
  query: DnsMessage,
  answers: readonly ResourceRecord[],
  options?: ResponseOptions,
): DnsMessage {
  return buildResponse(query, Rcode.NOERROR, answers, options);
}

/** An empty NOERROR response (NODATA): the name exists but has no records of the asked type. */
export function noDataResponse(query: DnsMessage, options?: ResponseOptions): DnsMessage {
  return buildResponse(query, Rcode.NOERROR, NONE, options);
}

/** An NXDOMAIN response: the name does not exist. */
export function nxDomainResponse(query: DnsMessage, options?: ResponseOptions): DnsMessage {
  return buildResponse(query, Rcode.NXDOMAIN, NONE, options);
}

/** A SERVFAIL response: the resolver could not get an answer. */
export function servFailResponse(query: DnsMessage, options?: ResponseOptions): DnsMessage {
  return buildResponse(query, Rcode.SERVFAIL, NONE, options);
}

/**
 * The response cut down to what always fits a UDP datagram: header with TC set, questions and
 * EDNS, no records (RFC 2181 9, RFC 6891 7). The client retries over TCP.
 */
export function truncatedResponse(response: DnsMessage): DnsMessage {
  return {
    ...response,
    truncated: true,
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
  };
}

/** How to build a query. */
export interface QueryOptions {
  /** RD; default true, as stub resolvers ask. */
  readonly recursionDesired?: boolean;
  /** The query's EDNS; default none. */
  readonly edns?: Edns;
  /** Default IN. */
  readonly class?: number;
}

/** A standard query for one name and type; `id` comes from the caller (pick it at random). */
export function createQuery(
  id: number,
  name: string,
  type: RecordTypeValue,
  options?: QueryOptions,
): DnsMessage {
  return {
    id,
    isResponse: false,
    opcode: Opcode.QUERY,
    authoritative: false,
    truncated: false,
    recursionDesired: options?.recursionDesired ?? true,
    recursionAvailable: false,
    z: false,
    authenticData: false,
    checkingDisabled: false,
    rcode: Rcode.NOERROR,
    questions: [{ name, type, class: options?.class ?? DnsClass.IN }],
    answers: NONE,
    authorities: NONE,
    additionals: NONE,
    edns: options?.edns,
  };
}

const NONE: readonly never[] = Object.freeze([]);

// The two EDNS echoes of the default size are shared, so answering needs no allocation for them.
const ECHO_DO = edns(DEFAULT_UDP_PAYLOAD_SIZE, true);
const ECHO_NO_DO = edns(DEFAULT_UDP_PAYLOAD_SIZE, false);

function echoEdns(queryEdns: Edns, udpPayloadSize: number | undefined): Edns {
  if (udpPayloadSize === undefined || udpPayloadSize === DEFAULT_UDP_PAYLOAD_SIZE) {
    return queryEdns.dnssecOk ? ECHO_DO : ECHO_NO_DO;
  }
  return edns(udpPayloadSize, queryEdns.dnssecOk);
}

function edns(udpPayloadSize: number, dnssecOk: boolean): Edns {
  return Object.freeze({ udpPayloadSize, version: 0, dnssecOk, reservedFlags: 0, options: NONE });
}
