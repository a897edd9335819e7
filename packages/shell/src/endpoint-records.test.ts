import { toArrayBuffer } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { decodeSocketAddress, encodeSocketAddress, SOCKET_ADDRESS_BYTES } from "@fz/tun";
import type { Endpoint } from "@fz/wireguard";
import { EndpointRecords } from "./endpoint-records.ts";

/** A receive buffer holding one kernel record at word `wordOffset`, as the data plane sees it. */
function received(
  address: string,
  port: number,
  wordOffset = 0,
): { bytes: Uint8Array; words: Int32Array; wordOffset: number } {
  const bytes = new Uint8Array(wordOffset * 4 + SOCKET_ADDRESS_BYTES);
  const family = address.includes(":") ? 6 : 4;
  if (encodeSocketAddress({ family, address, port }, bytes, wordOffset * 4) === undefined) {
    throw new Error(`test setup: cannot encode ${address} port ${port}`);
  }
  return { bytes, words: new Int32Array(bytes.buffer), wordOffset };
}

function endpointOf(book: EndpointRecords, address: string, port: number): Endpoint | undefined {
  const { bytes, words, wordOffset } = received(address, port, 3);
  return book.endpointOf(bytes, words, wordOffset);
}

/** The native record behind `index`, copied out of the book's buffer. */
function recordAt(book: EndpointRecords, index: number): Uint8Array {
  return new Uint8Array(toArrayBuffer(book.pointer(index), 0, SOCKET_ADDRESS_BYTES).slice(0));
}

describe("EndpointRecords.endpointOf", () => {
  test("reads a received sockaddr_in as the IPv4 endpoint it names", () => {
    const book = new EndpointRecords();
    expect(endpointOf(book, "198.18.0.1", 51820)).toEqual({ address: "198.18.0.1", port: 51820 });
  });

  test("reads a received sockaddr_in6 as the IPv6 endpoint it names, in RFC 5952 text", () => {
    const book = new EndpointRecords();
    expect(endpointOf(book, "fd00:198:18:0:0:0:0:1", 443)).toEqual({
      address: "fd00:198:18::1",
      port: 443,
    });
  });

  test("answers the very same object each time a peer's record arrives", () => {
    const book = new EndpointRecords();
    const v4 = endpointOf(book, "198.18.0.1", 51820);
    const v6 = endpointOf(book, "fd00:198:18::1", 51820);
    expect(v4).toBeDefined();
    expect(v6).toBeDefined();
    expect(endpointOf(book, "198.18.0.1", 51820)).toBe(v4 as Endpoint);
    expect(endpointOf(book, "fd00:198:18::1", 51820)).toBe(v6 as Endpoint);
  });

  test("tells apart peers that differ only in port or only in address", () => {
    const book = new EndpointRecords();
    const peer = endpointOf(book, "198.18.0.1", 51820);
    expect(endpointOf(book, "198.18.0.1", 51821)).not.toBe(peer as Endpoint);
    expect(endpointOf(book, "198.18.0.2", 51820)).not.toBe(peer as Endpoint);
    expect(endpointOf(book, "198.18.0.1", 51821)).toEqual({ address: "198.18.0.1", port: 51821 });
  });

  test("answers undefined for a record of no known family (all zeros)", () => {
    const book = new EndpointRecords();
    const bytes = new Uint8Array(SOCKET_ADDRESS_BYTES);
    expect(book.endpointOf(bytes, new Int32Array(bytes.buffer), 0)).toBeUndefined();
  });

  test("hands the core back the object it sent to when that peer's reply arrives", () => {
    const book = new EndpointRecords();
    const v4: Endpoint = { address: "198.18.0.1", port: 51820 };
    const v6: Endpoint = { address: "fd00:198:18::1", port: 51820 };
    expect(book.recordFor(v4)).toBeGreaterThanOrEqual(0);
    expect(book.recordFor(v6)).toBeGreaterThanOrEqual(0);
    expect(endpointOf(book, "198.18.0.1", 51820)).toBe(v4);
    expect(endpointOf(book, "fd00:198:18::1", 51820)).toBe(v6);
  });

  test("a full book starts over instead of failing, forgetting the peers it had", () => {
    const book = new EndpointRecords({ capacity: 2 });
    const first = endpointOf(book, "198.18.0.1", 1000);
    endpointOf(book, "198.18.0.2", 1000);
    const third = endpointOf(book, "198.18.0.3", 1000);
    expect(third).toEqual({ address: "198.18.0.3", port: 1000 });
    const index = book.recordFor(third as Endpoint);
    expect(decodeSocketAddress(recordAt(book, index))).toEqual({
      family: 4,
      address: "198.18.0.3",
      port: 1000,
    });
    const firstAgain = endpointOf(book, "198.18.0.1", 1000);
    expect(firstAgain).toEqual({ address: "198.18.0.1", port: 1000 });
    expect(firstAgain).not.toBe(first as Endpoint);
  });
});

describe("EndpointRecords.recordFor", () => {
  test("points at a copy of the kernel's record for a received peer", () => {
    const book = new EndpointRecords();
    for (const [address, port] of [
      ["198.18.0.1", 51820],
      ["fd00:198:18::1", 443],
    ] as const) {
      const { bytes } = received(address, port);
      const endpoint = book.endpointOf(bytes, new Int32Array(bytes.buffer), 0);
      const index = book.recordFor(endpoint as Endpoint);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(recordAt(book, index)).toEqual(bytes);
    }
  });

  test("writes an IPv4 and an IPv6 record the kernel can send to", () => {
    const book = new EndpointRecords();
    const v4 = book.recordFor({ address: "198.18.0.1", port: 51820 });
    const v6 = book.recordFor({ address: "fd00:198:18::1", port: 443 });
    expect(decodeSocketAddress(recordAt(book, v4))).toEqual({
      family: 4,
      address: "198.18.0.1",
      port: 51820,
    });
    expect(decodeSocketAddress(recordAt(book, v6))).toEqual({
      family: 6,
      address: "fd00:198:18::1",
      port: 443,
    });
  });

  test("gives one index per peer, whichever object names it", () => {
    const book = new EndpointRecords();
    const index = book.recordFor({ address: "198.18.0.1", port: 51820 });
    expect(book.recordFor({ address: "198.18.0.1", port: 51820 })).toBe(index);
    const received6 = endpointOf(book, "fd00:198:18::1", 443) as Endpoint;
    expect(book.recordFor({ address: "fd00:198:18::1", port: 443 })).toBe(
      book.recordFor(received6),
    );
  });

  test("gives different peers different indexes", () => {
    const book = new EndpointRecords();
    const indexes = [
      book.recordFor({ address: "198.18.0.1", port: 51820 }),
      book.recordFor({ address: "198.18.0.2", port: 51820 }),
      book.recordFor({ address: "198.18.0.1", port: 51821 }),
      book.recordFor({ address: "fd00:198:18::1", port: 51820 }),
    ];
    expect(indexes.every((index) => index >= 0)).toBe(true);
    expect(new Set(indexes).size).toBe(indexes.length);
  });

  test("refuses a non-IP address or an out-of-range port without using up a record", () => {
    const book = new EndpointRecords({ capacity: 1 });
    expect(book.recordFor({ address: "not-an-ip", port: 51820 })).toBe(-1);
    expect(book.recordFor({ address: "fd00::zz", port: 51820 })).toBe(-1);
    expect(book.recordFor({ address: "198.18.0.1", port: 65536 })).toBe(-1);
    const index = book.recordFor({ address: "198.18.0.2", port: 51820 });
    expect(index).toBeGreaterThanOrEqual(0);
    expect(decodeSocketAddress(recordAt(book, index))?.address).toBe("198.18.0.2");
  });

  test("a full book sends what is queued, then starts over with fresh indexes", () => {
    let flushes = 0;
    const book = new EndpointRecords({ capacity: 2, beforeStartingOver: () => flushes++ });
    const first: Endpoint = { address: "198.18.0.1", port: 51820 };
    const a = book.recordFor(first);
    const b = book.recordFor({ address: "198.18.0.2", port: 51820 });
    expect([a, b].sort()).toEqual([0, 1]);
    expect(book.recordFor(first)).toBe(a);
    expect(flushes).toBe(0);

    const third: Endpoint = { address: "198.18.0.3", port: 51820 };
    const index = book.recordFor(third);
    expect(flushes).toBe(1);
    expect(index).toBe(0);
    expect(decodeSocketAddress(recordAt(book, index))?.address).toBe("198.18.0.3");
    const again = book.recordFor(first);
    expect(again).toBe(1);
    expect(again).not.toBe(index);
    expect(decodeSocketAddress(recordAt(book, again))?.address).toBe("198.18.0.1");

    book.clear();
    expect(book.recordFor(third)).toBe(0);
    expect(flushes).toBe(1);
  });

  test("unmaps a dual-stack socket's ::ffff: source itself, in place", () => {
    const book = new EndpointRecords();
    const { bytes, words, wordOffset } = received("::ffff:198.18.0.7", 4242, 3);
    expect(book.endpointOf(bytes, words, wordOffset)).toEqual({
      address: "198.18.0.7",
      port: 4242,
    });
    expect(decodeSocketAddress(bytes, wordOffset * 4)).toEqual({
      family: 4,
      address: "198.18.0.7",
      port: 4242,
    });
    expect(bytes[wordOffset * 4]).toBe(2);
  });

  test("tells IPv6 peers apart by the whole record, port and scope included", () => {
    const book = new EndpointRecords();
    const a = endpointOf(book, "fd00:198:18::1", 443);
    const b = endpointOf(book, "fd00:198:18::2", 443);
    const c = endpointOf(book, "fd00:198:18::1", 444);
    expect(new Set([a, b, c]).size).toBe(3);
    const { bytes, words, wordOffset } = received("fe80::1", 443, 3);
    const scoped = book.endpointOf(bytes, words, wordOffset);
    words[wordOffset + 6] = 2; // the same link-local address on another interface
    expect(book.endpointOf(bytes, words, wordOffset)).not.toBe(scoped as Endpoint);
    expect(endpointOf(book, "fd00:198:18::2", 443)).toBe(b as Endpoint);
  });

  test("round-trips IPv4 peers across the octet and port ranges", () => {
    const book = new EndpointRecords({ capacity: 64 });
    const octets = [0, 1, 18, 127, 128, 198, 254, 255];
    const ports = [0, 1, 255, 256, 443, 51820, 65534, 65535];
    for (let i = 0; i < octets.length; i++) {
      book.clear();
      for (let j = 0; j < ports.length; j++) {
        const address = `${octets[i]}.${octets[(i + j) % 8]}.${octets[(i + 2 * j) % 8]}.${octets[j]}`;
        const port = ports[(i + j) % 8] as number;
        const endpoint = endpointOf(book, address, port);
        expect(endpoint).toEqual({ address, port });
        const index = book.recordFor({ address, port });
        expect(decodeSocketAddress(recordAt(book, index))).toEqual({ family: 4, address, port });
        expect(endpointOf(book, address, port)).toBe(endpoint as Endpoint);
      }
    }
  });
});

describe("EndpointRecords: spellings of one peer", () => {
  test("an upper-case or uncompressed IPv6 address is the peer a received record names", () => {
    const book = new EndpointRecords({ capacity: 4 });
    const configured: Endpoint = { address: "FD00:198:18:0:0:0:0:1", port: 443 };
    const index = book.recordFor(configured);
    const record = new Uint8Array(SOCKET_ADDRESS_BYTES);
    encodeSocketAddress({ family: 6, address: "fd00:198:18::1", port: 443 }, record);
    expect(book.endpointOf(record, new Int32Array(record.buffer), 0)).toBe(configured);
    expect(book.recordFor({ address: "fd00:198:18::1", port: 443 })).toBe(index);
  });

  test("an IPv4-mapped IPv6 address is the IPv4 peer, with an IPv4 record", () => {
    const book = new EndpointRecords({ capacity: 4 });
    const mapped: Endpoint = { address: "::ffff:198.18.0.1", port: 51820 };
    const index = book.recordFor(mapped);
    const bytes = new Uint8Array(toArrayBuffer(book.pointer(index), 0, SOCKET_ADDRESS_BYTES));
    expect(decodeSocketAddress(bytes)).toEqual({ family: 4, address: "198.18.0.1", port: 51820 });
    expect(bytes[0]).toBe(2);
    const record = new Uint8Array(SOCKET_ADDRESS_BYTES);
    encodeSocketAddress({ family: 4, address: "198.18.0.1", port: 51820 }, record);
    expect(book.endpointOf(record, new Int32Array(record.buffer), 0)).toBe(mapped);
    expect(book.recordFor({ address: "198.18.0.1", port: 51820 })).toBe(index);
  });
});
