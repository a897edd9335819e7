import { ptr } from "bun:ffi";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  formatIpv4,
  formatIpv6,
  SOCKET_ADDRESS_BYTES,
} from "@fz/tun";
import type { Endpoint } from "@fz/wireguard";

/** Peers remembered before the book starts over: a gateway with thousands of clients (128 KiB). */
const DEFAULT_CAPACITY = 4096;
const AF_INET = 2;
const AF_INET6 = 10;
const TWO_TO_32 = 4294967296;

/**
 * The data plane's address book: turns the kernel's socket address records (`sockaddr_in` /
 * `sockaddr_in6`, as recvmmsg writes them) into the core's `Endpoint`s and back, allocating
 * nothing for a peer it has seen. A peer keeps one `Endpoint` object, so the core's endpoint
 * for a peer is the very object it was handed, and the way back is an identity lookup.
 *
 * Records live in one native buffer, one 32-byte record per peer, so `sendmmsg` can point at
 * them. When the book is full, `recordFor` answers -1: the owner sends what it queued (which
 * may point at records) and calls `clear()`.
 */
export class EndpointRecords {
  readonly #records: Uint8Array;
  readonly #words: Int32Array;
  readonly #base: number;
  readonly #capacity: number;
  #byObject = new WeakMap<Endpoint, number>();
  readonly #byIpv4 = new Map<number, Endpoint>();
  readonly #byText = new Map<string, Endpoint>();
  #count = 0;
  /** The last peer asked for: a busy tunnel sends run after run to one peer. */
  #lastEndpoint: Endpoint | undefined;
  #lastIndex = -1;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
    this.#records = new Uint8Array(capacity * SOCKET_ADDRESS_BYTES);
    this.#words = new Int32Array(this.#records.buffer);
    this.#base = ptr(this.#records);
  }

  /** The native address of record `index`, for a message header. */
  pointer(index: number): number {
    return this.#base + index * SOCKET_ADDRESS_BYTES;
  }

  /**
   * The record index for sending to `endpoint` (equal indexes mean one peer); -1 when the
   * book is full or the address is not an IP address.
   */
  recordFor(endpoint: Endpoint): number {
    if (endpoint === this.#lastEndpoint) return this.#lastIndex;
    const known = this.#byObject.get(endpoint);
    if (known !== undefined) {
      this.#lastEndpoint = endpoint;
      this.#lastIndex = known;
      return known;
    }
    const canonical = this.#byText.get(textKey(endpoint.address, endpoint.port));
    if (canonical !== undefined) {
      const index = this.#byObject.get(canonical) ?? -1;
      if (index >= 0) this.#byObject.set(endpoint, index);
      return index;
    }
    if (this.#count === this.#capacity) return -1;
    const family = endpoint.address.includes(":") ? 6 : 4;
    const index = this.#count;
    const at = index * SOCKET_ADDRESS_BYTES;
    const encoded = encodeSocketAddress(
      { family, address: endpoint.address, port: endpoint.port },
      this.#records,
      at,
    );
    if (encoded === undefined) return -1;
    // Another spelling of a known peer (`FD00::1`, `::ffff:198.18.0.1`) is that peer.
    const plain = decodeSocketAddress(this.#records, at);
    if (plain === undefined) return -1;
    if (plain.address !== endpoint.address) {
      const same = this.#byText.get(textKey(plain.address, plain.port));
      const sameIndex = same === undefined ? undefined : this.#byObject.get(same);
      if (sameIndex !== undefined) {
        this.#byObject.set(endpoint, sameIndex);
        return sameIndex;
      }
      if (plain.family !== family) encodeSocketAddress(plain, this.#records, at);
    }
    this.#count++;
    this.#remember(endpoint, index, plain.address);
    return index;
  }

  /**
   * The endpoint a received record names (`bytes` and `words` view one buffer from its start;
   * the record is at word `wordOffset`, an IPv4 peer already unmapped), or undefined for a
   * record of no known family. A full book starts over here, so call it with nothing queued.
   */
  endpointOf(bytes: Uint8Array, words: Int32Array, wordOffset: number): Endpoint | undefined {
    const head = words[wordOffset] ?? 0;
    const family = head & 0xffff;
    const port = ((head >>> 16) & 0xff) * 256 + (head >>> 24);
    if (family === AF_INET) {
      const key = port * TWO_TO_32 + ((words[wordOffset + 1] ?? 0) >>> 0);
      const known = this.#byIpv4.get(key);
      if (known !== undefined) return known;
      return this.#learn(words, wordOffset, formatIpv4(bytes, wordOffset * 4 + 4), port);
    }
    if (family !== AF_INET6) return undefined;
    const address = formatIpv6(bytes, wordOffset * 4 + 8);
    return (
      this.#byText.get(textKey(address, port)) ?? this.#learn(words, wordOffset, address, port)
    );
  }

  /** Forgets every peer; record indexes handed out before are no longer valid. */
  clear(): void {
    this.#count = 0;
    this.#lastEndpoint = undefined;
    this.#byObject = new WeakMap();
    this.#byIpv4.clear();
    this.#byText.clear();
  }

  #learn(
    words: Int32Array,
    wordOffset: number,
    address: string,
    port: number,
  ): Endpoint | undefined {
    if (this.#count === this.#capacity) this.clear();
    const endpoint: Endpoint = { address, port };
    const index = this.#count++;
    const to = (index * SOCKET_ADDRESS_BYTES) >> 2;
    for (let i = 0; i < SOCKET_ADDRESS_BYTES >> 2; i++)
      this.#words[to + i] = words[wordOffset + i] ?? 0;
    this.#remember(endpoint, index, address);
    return endpoint;
  }

  /** Files `endpoint` under record `index` and the plain text of its address. */
  #remember(endpoint: Endpoint, index: number, plainAddress: string): void {
    this.#byObject.set(endpoint, index);
    this.#byText.set(textKey(plainAddress, endpoint.port), endpoint);
    if (!plainAddress.includes(":")) {
      const address = (this.#words[(index * SOCKET_ADDRESS_BYTES + 4) >> 2] ?? 0) >>> 0;
      this.#byIpv4.set(endpoint.port * TWO_TO_32 + address, endpoint);
    }
  }
}

function textKey(address: string, port: number): string {
  return `${address}|${port}`;
}
