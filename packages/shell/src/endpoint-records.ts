import { ptr } from "bun:ffi";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  formatIpv4Bytes,
  formatIpv6,
  SOCKET_ADDRESS_BYTES,
  unmapIpv4Record,
} from "@fz/tun";
import type { Endpoint } from "@fz/wireguard";

/** Peers remembered before the book starts over: a gateway with thousands of clients (128 KiB). */
const DEFAULT_CAPACITY = 4096;
const AF_INET = 2;
const AF_INET6 = 10;
const TWO_TO_32 = 4294967296;
const RECORD_WORDS = SOCKET_ADDRESS_BYTES >> 2;
/** Words 0 (family, port), 2 to 5 (address) and 6 (scope id) of a sockaddr_in6; not flow info. */
const IPV6_IDENTITY_WORDS = [0, 2, 3, 4, 5, 6] as const;

export interface EndpointRecordsOptions {
  /** Peers remembered; default 4,096. */
  readonly capacity?: number;
  /**
   * Called before a full book starts over, when every record index handed out so far is about
   * to change meaning: the owner sends whatever it queued that points at records.
   */
  readonly beforeStartingOver?: () => void;
}

/**
 * The data plane's address book: turns the kernel's socket address records (`sockaddr_in` /
 * `sockaddr_in6`, as recvmmsg writes them) into the core's `Endpoint`s and back, allocating
 * nothing for a peer it has seen. A peer keeps one `Endpoint` object, so the core's endpoint
 * for a peer is the very object it was handed, and the way back is an identity lookup.
 *
 * Records live in one native buffer, one 32-byte record per peer, so `sendmmsg` can point at
 * them. A full book starts over by itself, after `beforeStartingOver`.
 */
export class EndpointRecords {
  readonly #records: Uint8Array;
  readonly #words: Int32Array;
  readonly #base: number;
  readonly #capacity: number;
  readonly #beforeStartingOver: () => void;
  readonly #endpoints: Endpoint[] = [];
  #byObject = new WeakMap<Endpoint, number>();
  /** IPv4 peers by port * 2^32 + address: exact. */
  readonly #byIpv4 = new Map<number, number>();
  /** IPv6 peers by a hash of their record, checked against the record itself. */
  readonly #byIpv6Hash = new Map<number, number>();
  readonly #byText = new Map<string, number>();
  /** The last peer asked for: a busy tunnel sends run after run to one peer. */
  #lastEndpoint: Endpoint | undefined;
  #lastIndex = -1;

  constructor(options: EndpointRecordsOptions = {}) {
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.#beforeStartingOver = options.beforeStartingOver ?? (() => {});
    // The kernel reads records through pointers taken once: an ArrayBuffer never moves.
    this.#records = new Uint8Array(new ArrayBuffer(this.#capacity * SOCKET_ADDRESS_BYTES));
    this.#words = new Int32Array(this.#records.buffer);
    this.#base = ptr(this.#records);
  }

  /** The native address of record `index`, for a message header. */
  pointer(index: number): number {
    return this.#base + index * SOCKET_ADDRESS_BYTES;
  }

  /**
   * The record index for sending to `endpoint` (equal indexes mean one peer), or -1 when the
   * address is not an IP address or the port is out of range.
   */
  recordFor(endpoint: Endpoint): number {
    if (endpoint === this.#lastEndpoint) return this.#lastIndex;
    let index = this.#byObject.get(endpoint);
    if (index === undefined) {
      index = this.#byText.get(textKey(endpoint.address, endpoint.port)) ?? this.#add(endpoint);
      if (index < 0) return -1;
      this.#byObject.set(endpoint, index);
    }
    this.#lastEndpoint = endpoint;
    this.#lastIndex = index;
    return index;
  }

  /**
   * The endpoint a received record names (`bytes` and `words` view one buffer from its start;
   * the record is at word `wordOffset`), or undefined for a record of no known family. A
   * dual-stack socket's `::ffff:a.b.c.d` source is rewritten in place as the IPv4 record it is.
   */
  endpointOf(bytes: Uint8Array, words: Int32Array, wordOffset: number): Endpoint | undefined {
    unmapIpv4Record(words, wordOffset);
    const head = words[wordOffset] ?? 0;
    const family = head & 0xffff;
    const port = ((head >>> 16) & 0xff) * 256 + (head >>> 24);
    if (family === AF_INET) {
      const key = port * TWO_TO_32 + ((words[wordOffset + 1] ?? 0) >>> 0);
      const known = this.#byIpv4.get(key);
      if (known !== undefined) return this.#endpoints[known];
      return this.#learn(words, wordOffset, formatIpv4Bytes(bytes, wordOffset * 4 + 4), port);
    }
    if (family !== AF_INET6) return undefined;
    const known = this.#byIpv6Hash.get(ipv6Hash(words, wordOffset));
    if (known !== undefined && this.#sameIpv6Record(known, words, wordOffset)) {
      return this.#endpoints[known];
    }
    // A new peer, or (rarely) another peer with the same hash: the text tells them apart.
    const address = formatIpv6(bytes, wordOffset * 4 + 8);
    const scope = words[wordOffset + 6] ?? 0;
    const index = this.#byText.get(textKey(address, port, scope));
    if (index !== undefined) return this.#endpoints[index];
    return this.#learn(words, wordOffset, address, port);
  }

  /** Forgets every peer; record indexes handed out before are no longer valid. */
  clear(): void {
    this.#endpoints.length = 0;
    this.#lastEndpoint = undefined;
    this.#byObject = new WeakMap();
    this.#byIpv4.clear();
    this.#byIpv6Hash.clear();
    this.#byText.clear();
  }

  /** A new record for `endpoint`, or for the known peer another spelling of it names. */
  #add(endpoint: Endpoint): number {
    const family = endpoint.address.includes(":") ? 6 : 4;
    const record = { family, address: endpoint.address, port: endpoint.port } as const;
    const scratch = new Uint8Array(SOCKET_ADDRESS_BYTES);
    if (encodeSocketAddress(record, scratch) === undefined) return -1;
    unmapIpv4Record(new Int32Array(scratch.buffer), 0);
    // Another spelling of a known peer (`FD00::1`, `::ffff:198.18.0.1`) is that peer.
    const plain = decodeSocketAddress(scratch);
    if (plain === undefined) return -1;
    const known = this.#byText.get(textKey(plain.address, plain.port));
    if (known !== undefined) return known;
    const index = this.#nextIndex();
    this.#records.set(scratch, index * SOCKET_ADDRESS_BYTES);
    this.#file(endpoint, index, plain.address);
    return index;
  }

  #learn(words: Int32Array, wordOffset: number, address: string, port: number): Endpoint {
    const endpoint: Endpoint = { address, port };
    const index = this.#nextIndex();
    const to = index * RECORD_WORDS;
    for (let i = 0; i < RECORD_WORDS; i++) this.#words[to + i] = words[wordOffset + i] ?? 0;
    this.#file(endpoint, index, address);
    this.#byObject.set(endpoint, index);
    return endpoint;
  }

  #nextIndex(): number {
    if (this.#endpoints.length === this.#capacity) {
      this.#beforeStartingOver();
      this.clear();
    }
    return this.#endpoints.length;
  }

  /** Files `endpoint` under record `index` (already written) and its address's plain text. */
  #file(endpoint: Endpoint, index: number, plainAddress: string): void {
    this.#endpoints[index] = endpoint;
    const at = index * RECORD_WORDS;
    const v6Scope = ((this.#words[at] ?? 0) & 0xffff) === AF_INET6 ? (this.#words[at + 6] ?? 0) : 0;
    this.#byText.set(textKey(plainAddress, endpoint.port, v6Scope), index);
    if (((this.#words[at] ?? 0) & 0xffff) === AF_INET) {
      this.#byIpv4.set(endpoint.port * TWO_TO_32 + ((this.#words[at + 1] ?? 0) >>> 0), index);
    } else {
      this.#byIpv6Hash.set(ipv6Hash(this.#words, at), index);
    }
  }

  #sameIpv6Record(index: number, words: Int32Array, wordOffset: number): boolean {
    const at = index * RECORD_WORDS;
    for (const i of IPV6_IDENTITY_WORDS) {
      if (this.#words[at + i] !== words[wordOffset + i]) return false;
    }
    return true;
  }
}

/** A peer's text: address, port, and an IPv6 scope id when it has one (`fe80::1` per link). */
function textKey(address: string, port: number, scope = 0): string {
  return scope === 0 ? `${address}|${port}` : `${address}%${scope}|${port}`;
}

/** FNV-1a over the words that name an IPv6 peer, as a 32-bit number. */
function ipv6Hash(words: Int32Array, at: number): number {
  let hash = 0x811c9dc5;
  for (const i of IPV6_IDENTITY_WORDS) hash = Math.imul(hash ^ (words[at + i] ?? 0), 0x01000193);
  return hash >>> 0;
}
