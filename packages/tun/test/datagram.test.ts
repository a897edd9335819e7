import { ptr } from "bun:ffi";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  DatagramReceiver,
  DatagramSender,
  decodeSocketAddress,
  encodeSocketAddress,
  NOTHING_RECEIVED,
  SOCKET_ADDRESS_BYTES,
  type SocketAddress,
  UdpSocket,
  type UdpSocketOptions,
  unmapIpv4Record,
} from "@fz/tun";
import { createVethPair, deleteVethPair, insideNamespace, isRoot, PAIR } from "./netns.ts";

const NS_A = `fztun-dgram-a-${process.pid}`;
const NS_B = `fztun-dgram-b-${process.pid}`;
const { a4: A4, b4: B4, a6: A6, b6: B6 } = PAIR;
/** Inside 198.18.0.0/15 but on no link of the namespaces, which have no default route. */
const NOWHERE4 = "198.19.255.1";
const AF_INET = 2;
const AF_INET6 = 10;

const opened: UdpSocket[] = [];
/** Memory the kernel was pointed at, held until the end of the run. */
const retained: Uint8Array[] = [];

function openSocket(namespace: string, options: UdpSocketOptions): UdpSocket {
  const socket = insideNamespace(namespace, () => UdpSocket.open(options));
  opened.push(socket);
  return socket;
}

function record(to: SocketAddress): Uint8Array {
  const bytes = encodeSocketAddress(to);
  if (bytes === undefined) throw new Error(`bad address ${to.address}`);
  retained.push(bytes);
  return bytes;
}

interface Outgoing {
  readonly bytes: Uint8Array;
  readonly to: Uint8Array;
  readonly peer: number;
}

/** Copies the datagrams into one buffer, queues each where it lies there, and flushes. */
function sendAll(sender: DatagramSender, datagrams: readonly Outgoing[]): void {
  const total = datagrams.reduce((sum, datagram) => sum + datagram.bytes.length, 0);
  const packed = new Uint8Array(Math.max(total, 1));
  const base = ptr(packed);
  let offset = 0;
  for (const datagram of datagrams) {
    packed.set(datagram.bytes, offset);
    sender.add(base + offset, datagram.bytes.length, ptr(datagram.to), datagram.peer);
    offset += datagram.bytes.length;
  }
  sender.flush();
  retained.push(packed);
}

interface Arrival {
  /** What `length(i)` said: -1 for a truncated datagram. */
  readonly length: number;
  readonly bytes: Uint8Array;
  /** A copy of the 32-byte source record the kernel wrote. */
  readonly source: Uint8Array;
}

/** A receiver armed once on buffers of its own: a 32-byte record and a data area per message. */
class Inbox {
  readonly receiver: DatagramReceiver;
  readonly #names: Uint8Array;
  readonly #data: Uint8Array;
  readonly #dataBytes: number;

  constructor(socket: UdpSocket, capacity: number, dataBytes = 2048) {
    this.receiver = new DatagramReceiver(socket.fd, capacity);
    this.#names = new Uint8Array(capacity * SOCKET_ADDRESS_BYTES);
    this.#data = new Uint8Array(capacity * dataBytes);
    this.#dataBytes = dataBytes;
    const names = ptr(this.#names);
    const data = ptr(this.#data);
    for (let i = 0; i < capacity; i++) {
      this.receiver.arm(i, names + i * SOCKET_ADDRESS_BYTES, data + i * dataBytes, dataBytes);
    }
  }

  /** Receives (never more than `count` in all) until `count` arrived or `timeoutMs` passed. */
  async take(count: number, timeoutMs = 3000): Promise<Arrival[]> {
    const arrivals: Arrival[] = [];
    const deadline = Date.now() + timeoutMs;
    while (arrivals.length < count && Date.now() < deadline) {
      const wanted = Math.min(this.receiver.capacity, count - arrivals.length);
      const received = this.receiver.receive(wanted);
      if (received === NOTHING_RECEIVED) {
        await Bun.sleep(2);
        continue;
      }
      for (let i = 0; i < received; i++) {
        const length = this.receiver.length(i);
        const at = i * this.#dataBytes;
        arrivals.push({
          length,
          bytes: this.#data.slice(at, at + Math.max(length, 0)),
          source: this.#names.slice(i * SOCKET_ADDRESS_BYTES, (i + 1) * SOCKET_ADDRESS_BYTES),
        });
      }
    }
    return arrivals;
  }
}

/** A payload whose bytes say whose and which it is: peer and sequence first, then a pattern. */
function payload(peer: number, sequence: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (peer * 101 + sequence * 31 + i * 7) & 0xff;
  if (length >= 3) {
    bytes[0] = peer;
    bytes[1] = sequence >> 8;
    bytes[2] = sequence & 0xff;
  }
  return bytes;
}

const totalBytes = (datagrams: readonly { readonly bytes: Uint8Array }[]) =>
  datagrams.reduce((sum, datagram) => sum + datagram.bytes.length, 0);

const familyOf = (source: Uint8Array) => (source[0] ?? 0) | ((source[1] ?? 0) << 8);

describe.skipIf(!isRoot)("DatagramSender and DatagramReceiver on real sockets", () => {
  beforeAll(() => createVethPair(NS_A, NS_B));
  afterAll(() => {
    for (const socket of opened) socket.close();
    deleteVethPair(NS_A, NS_B);
    retained.length = 0;
  });

  test("without GSO, 100 datagrams of 0 to 1500 bytes arrive intact and in order, four sendmmsg calls at capacity 32", async () => {
    const a = openSocket(NS_A, { address: A4 });
    const b = openSocket(NS_B, { address: B4 });
    const inbox = new Inbox(b, 64);
    const sender = new DatagramSender(a.fd, 32, false);
    const to = record({ family: 4, address: B4, port: b.local.port });
    const datagrams = Array.from({ length: 100 }, (_, i) => ({
      bytes: payload(1, i, (i * 367) % 1501),
      to,
      peer: 1,
    }));

    sendAll(sender, datagrams);
    const arrivals = await inbox.take(datagrams.length);

    expect(arrivals.map((arrival) => arrival.bytes)).toEqual(datagrams.map((d) => d.bytes));
    expect(arrivals.map((arrival) => arrival.length)).toEqual(datagrams.map((d) => d.bytes.length));
    for (const arrival of arrivals) {
      expect(decodeSocketAddress(arrival.source)).toEqual({
        family: 4,
        address: A4,
        port: a.local.port,
      });
    }
    // add() flushes the full queue at datagrams 33, 65 and 97; flush() sends the last 4.
    expect(sender).toMatchObject({
      count: 0,
      sent: 100,
      sentBytes: totalBytes(datagrams),
      sendCalls: 4,
      sendErrors: 0,
      gsoMessages: 0,
      gso: false,
    });
    expect(inbox.receiver).toMatchObject({ truncated: 0, receiveErrors: 0 });
  });

  test("with GSO, 64 datagrams of 1312 bytes and a shorter last one leave in two GSO messages and arrive as 65 datagrams", async () => {
    const a = openSocket(NS_A, { address: A4 });
    const b = openSocket(NS_B, { address: B4 });
    const inbox = new Inbox(b, 128);
    const sender = new DatagramSender(a.fd, 128, true);
    const to = record({ family: 4, address: B4, port: b.local.port });
    const datagrams = [
      ...Array.from({ length: 64 }, (_, i) => ({ bytes: payload(1, i, 1312), to, peer: 1 })),
      { bytes: payload(1, 64, 700), to, peer: 1 },
    ];

    sendAll(sender, datagrams);
    const arrivals = await inbox.take(datagrams.length + 1, 300);

    expect(arrivals.map((arrival) => arrival.bytes)).toEqual(datagrams.map((d) => d.bytes));
    // 49 segments of 1312 fill 64,288 of the 65,507 bytes one message may carry; the other
    // 15 and the 700-byte one make the second message.
    expect(sender).toMatchObject({
      sent: 65,
      sentBytes: totalBytes(datagrams),
      sendCalls: 1,
      gsoMessages: 2,
      gsoFallbacks: 0,
      sendErrors: 0,
      gso: true,
    });
    expect(inbox.receiver.truncated).toBe(0);
  });

  test("with GSO, datagrams to two peers, alternating one by one and in runs, each reach only their own peer", async () => {
    const a = openSocket(NS_A, { address: A4 });
    const b1 = openSocket(NS_B, { address: B4 });
    const b2 = openSocket(NS_B, { address: B4 });
    const inboxes = [new Inbox(b1, 64), new Inbox(b2, 64)] as const;
    const sender = new DatagramSender(a.fd, 64, true);
    const records = [
      record({ family: 4, address: B4, port: b1.local.port }),
      record({ family: 4, address: B4, port: b2.local.port }),
    ] as const;
    const datagramTo = (peer: 0 | 1, sequence: number) => ({
      bytes: payload(peer + 1, sequence, 1312),
      to: records[peer],
      peer: peer + 1,
    });

    // Same size throughout, so only the change of peer keeps them out of one GSO message.
    const alternating = Array.from({ length: 40 }, (_, i) => datagramTo(i % 2 === 0 ? 0 : 1, i));
    sendAll(sender, alternating);
    expect(sender).toMatchObject({ sent: 40, sendCalls: 1, gsoMessages: 0, sendErrors: 0 });

    const runs = Array.from({ length: 32 }, (_, i) =>
      datagramTo(Math.floor(i / 4) % 2 === 0 ? 0 : 1, 100 + i),
    );
    sendAll(sender, runs);
    expect(sender).toMatchObject({ sent: 72, sendCalls: 2, gsoMessages: 8, sendErrors: 0 });

    for (const peer of [0, 1] as const) {
      const expected = [...alternating, ...runs].filter((d) => d.peer === peer + 1);
      const inbox = inboxes[peer];
      const arrivals = await inbox.take(expected.length + 1, 300);
      expect(arrivals.map((arrival) => arrival.bytes)).toEqual(expected.map((d) => d.bytes));
    }
  });

  test("datagrams the kernel refuses are counted in sendErrors and the rest of the flush arrives", async () => {
    const a = openSocket(NS_A, { address: "0.0.0.0" });
    const b = openSocket(NS_B, { address: B4 });
    const inbox = new Inbox(b, 64);
    const good = record({ family: 4, address: B4, port: b.local.port });
    const refused = [
      record({ family: 6, address: B6, port: b.local.port }),
      record({ family: 4, address: B4, port: 0 }),
      record({ family: 4, address: NOWHERE4, port: b.local.port }),
    ];
    const singles = new DatagramSender(a.fd, 16, false);
    const mixed = [
      { bytes: payload(1, 0, 100), to: good, peer: 1 },
      { bytes: payload(2, 0, 100), to: refused[0] ?? good, peer: 2 },
      { bytes: payload(1, 1, 200), to: good, peer: 1 },
      { bytes: payload(3, 0, 100), to: refused[1] ?? good, peer: 3 },
      { bytes: payload(1, 2, 300), to: good, peer: 1 },
      { bytes: payload(4, 0, 100), to: refused[2] ?? good, peer: 4 },
      { bytes: payload(1, 3, 400), to: good, peer: 1 },
    ];
    sendAll(singles, mixed);
    const delivered = mixed.filter((d) => d.to === good);
    expect(singles).toMatchObject({
      sent: 4,
      sentBytes: totalBytes(delivered),
      sendErrors: 3,
    });
    expect((await inbox.take(5, 300)).map((arrival) => arrival.bytes)).toEqual(
      delivered.map((d) => d.bytes),
    );

    // A refused GSO message is retried datagram by datagram, each refused and counted, and GSO
    // stays on for the run after it.
    const batched = new DatagramSender(a.fd, 16, true);
    const runs = [
      ...[0, 1, 2].map((i) => ({ bytes: payload(2, i, 300), to: refused[0] ?? good, peer: 2 })),
      ...[0, 1, 2].map((i) => ({ bytes: payload(1, 10 + i, 300), to: good, peer: 1 })),
    ];
    sendAll(batched, runs);
    expect(batched).toMatchObject({
      sent: 3,
      sendErrors: 3,
      gsoMessages: 1,
      gsoFallbacks: 0,
      gso: true,
    });
    expect((await inbox.take(4, 300)).map((arrival) => arrival.bytes)).toEqual(
      runs.slice(3).map((d) => d.bytes),
    );
  });

  test("on a dual-stack socket an IPv4 source arrives IPv4-mapped, unmaps to a sockaddr_in that works as a destination; an IPv6 source stays IPv6", async () => {
    const b = openSocket(NS_B, { address: "::" });
    const a4 = openSocket(NS_A, { address: A4 });
    const a6 = openSocket(NS_A, { address: A6 });
    const inbox = new Inbox(b, 8);
    const to4 = record({ family: 4, address: B4, port: b.local.port });
    const to6 = record({ family: 6, address: B6, port: b.local.port });
    sendAll(new DatagramSender(a4.fd, 1, false), [{ bytes: payload(4, 0, 40), to: to4, peer: 1 }]);
    const [from4] = await inbox.take(1);
    sendAll(new DatagramSender(a6.fd, 1, false), [{ bytes: payload(6, 0, 60), to: to6, peer: 1 }]);
    const [from6] = await inbox.take(1);
    if (from4 === undefined || from6 === undefined) throw new Error("a datagram did not arrive");
    expect(from4.bytes).toEqual(payload(4, 0, 40));
    expect(from6.bytes).toEqual(payload(6, 0, 60));

    // sockaddr_in6 holding ::ffff:198.18.0.1: ten zero bytes, then ff ff, then the address.
    expect(familyOf(from4.source)).toBe(AF_INET6);
    expect([...from4.source.subarray(8, 24)]).toEqual([
      ...new Array(10).fill(0),
      0xff,
      0xff,
      198,
      18,
      0,
      1,
    ]);
    unmapIpv4Record(new Int32Array(from4.source.buffer), 0);
    expect(familyOf(from4.source)).toBe(AF_INET);
    expect(decodeSocketAddress(from4.source)).toEqual({
      family: 4,
      address: A4,
      port: a4.local.port,
    });

    const before6 = from6.source.slice();
    unmapIpv4Record(new Int32Array(from6.source.buffer), 0);
    expect(from6.source).toEqual(before6);
    expect(familyOf(from6.source)).toBe(AF_INET6);
    expect(decodeSocketAddress(from6.source)).toEqual({
      family: 6,
      address: A6,
      port: a6.local.port,
    });

    // Replies go straight back to the records as received.
    const replies = new Inbox(a4, 8);
    const replies6 = new Inbox(a6, 8);
    retained.push(from4.source, from6.source);
    const sender = new DatagramSender(b.fd, 4, false);
    sendAll(sender, [
      { bytes: payload(4, 1, 41), to: from4.source, peer: 1 },
      { bytes: payload(6, 1, 61), to: from6.source, peer: 2 },
    ]);
    expect(sender).toMatchObject({ sent: 2, sendErrors: 0 });
    const [reply4] = await replies.take(1);
    const [reply6] = await replies6.take(1);
    expect(reply4?.bytes).toEqual(payload(4, 1, 41));
    expect(reply6?.bytes).toEqual(payload(6, 1, 61));
    expect(decodeSocketAddress(reply4?.source ?? new Uint8Array())).toEqual({
      family: 4,
      address: B4,
      port: b.local.port,
    });
  });

  test("a datagram larger than its data area reads as length -1 and counts as truncated; one that just fits does not", async () => {
    const a = openSocket(NS_A, { address: A4 });
    const b = openSocket(NS_B, { address: B4 });
    const inbox = new Inbox(b, 8, 256);
    const to = record({ family: 4, address: B4, port: b.local.port });
    const sizes = [10, 256, 257, 1400, 11];
    const datagrams = sizes.map((size, i) => ({ bytes: payload(1, i, size), to, peer: 1 }));
    sendAll(new DatagramSender(a.fd, 8, false), datagrams);

    const arrivals = await inbox.take(sizes.length);
    expect(arrivals.map((arrival) => arrival.length)).toEqual([10, 256, -1, -1, 11]);
    expect(inbox.receiver.truncated).toBe(2);
    for (const i of [0, 1, 4]) expect(arrivals[i]?.bytes).toEqual(datagrams[i]?.bytes);
  });

  test("an empty socket receives nothing without an error; a bad descriptor counts one", () => {
    const b = openSocket(NS_B, { address: B4 });
    const inbox = new Inbox(b, 4);
    expect(inbox.receiver.receive()).toBe(NOTHING_RECEIVED);
    expect(inbox.receiver.receive(1)).toBe(0);
    expect(inbox.receiver.receiveErrors).toBe(0);

    const broken = new DatagramReceiver(-1, 1);
    expect(broken.receive()).toBe(NOTHING_RECEIVED);
    expect(broken.receiveErrors).toBe(1);
  });
});
