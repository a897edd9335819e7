import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import {
  encodeSocketAddress,
  readSlotAddress,
  type SocketAddress,
  UdpPacketIo,
  type UdpPacketIoOptions,
  UdpSocket,
  UdpSocketError,
  type UdpSocketOptions,
  writeSlotAddress,
} from "@fz/tun";
import { createVethPair, deleteVethPair, insideNamespace, isRoot, PAIR } from "./netns.ts";

const NS_A = `fztun-udp-a-${process.pid}`;
const NS_B = `fztun-udp-b-${process.pid}`;
const { a4: A4, b4: B4, a6: A6, b6: B6 } = PAIR;

interface Received {
  readonly source: SocketAddress | undefined;
  readonly bytes: Uint8Array;
}

/** One end: a socket in the test namespace, its pool, its channels and its Workers. */
interface End {
  readonly socket: UdpSocket;
  readonly pool: BufferPool;
  readonly fromNetwork: PacketChannel;
  readonly toNetwork: PacketChannel;
  readonly io: UdpPacketIo;
  readonly port: number;
}

const opened: End[] = [];

async function openEnd(
  namespace: string,
  socketOptions: UdpSocketOptions,
  pool: BufferPool = BufferPool.create({ slotCount: 1024, slotCapacity: 1500 }),
  options: Partial<Pick<UdpPacketIoOptions, "batchSize" | "gso" | "fromNetwork">> = {},
): Promise<End> {
  const socket = insideNamespace(namespace, () => UdpSocket.open(socketOptions));
  const fromNetwork = options.fromNetwork ?? PacketChannel.create(1024);
  const toNetwork = PacketChannel.create(1024);
  const io = await UdpPacketIo.start(socket, {
    pool,
    fromNetwork,
    toNetwork,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.gso === undefined ? {} : { gso: options.gso }),
  });
  const end = { socket, pool, fromNetwork, toNetwork, io, port: socket.local.port };
  opened.push(end);
  return end;
}

async function closeEnd(end: End): Promise<void> {
  end.fromNetwork.close();
  await end.io.stop();
  end.socket.close();
}

/** Fills slots with `payloads` addressed to `to` and pushes them to the sender as one batch. */
function send(end: End, to: SocketAddress, payloads: readonly Uint8Array[]): void {
  const record = encodeSocketAddress(to);
  if (record === undefined) throw new Error(`bad address ${to.address}`);
  const batch = new DescriptorBatch(payloads.length);
  for (const payload of payloads) {
    const slot = end.pool.take();
    if (slot === undefined) throw new Error("test pool exhausted");
    writeSlotAddress(end.pool, slot, record);
    end.pool.bytes(slot).set(payload, end.pool.headroom);
    batch.add(slot, payload.length, end.pool.headroom);
  }
  expect(end.toNetwork.pushBatch(batch)).toBe(payloads.length);
}

/** Pops what arrives (copies, then gives the slots back) until `count` or `timeoutMs`. */
async function receive(end: End, count: number, timeoutMs = 3000): Promise<Received[]> {
  const received: Received[] = [];
  const batch = new DescriptorBatch(64);
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) {
    if (end.fromNetwork.popBatch(batch) === 0) {
      await end.fromNetwork.waitAsync(deadline - Date.now());
      continue;
    }
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slots[i] ?? -1;
      const offset = batch.metas[i] ?? 0;
      received.push({
        source: readSlotAddress(end.pool, slot),
        bytes: end.pool.bytes(slot).slice(offset, offset + (batch.lengths[i] ?? 0)),
      });
    }
    end.pool.giveBackBatch(batch.slots, batch.count);
  }
  return received;
}

/** Sends every datagram that arrives back to where it came from, in the same slot. */
async function echo(end: End): Promise<number> {
  const batch = new DescriptorBatch(64);
  let echoed = 0;
  for (;;) {
    if (end.fromNetwork.popBatch(batch) === 0) {
      if ((await end.fromNetwork.waitAsync()) === "closed") return echoed;
      continue;
    }
    const pushed = end.toNetwork.pushBatch(batch);
    for (let i = pushed; i < batch.count; i++) end.pool.giveBack(batch.slots[i] ?? -1);
    echoed += pushed;
  }
}

/** A payload whose bytes say which datagram it is: a 2-byte sequence number, then a pattern. */
function payload(sequence: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (sequence * 31 + i * 7) & 0xff;
  if (length >= 2) {
    bytes[0] = sequence >> 8;
    bytes[1] = sequence & 0xff;
  }
  return bytes;
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await Bun.sleep(10);
}

/** Threads of this process that Bun named "Worker"; one may end while they are being read. */
function workerThreads(): number {
  const nameOf = (task: string) => {
    try {
      return readFileSync(`/proc/self/task/${task}/comm`, "utf8").trim();
    } catch {
      return "ended";
    }
  };
  return readdirSync("/proc/self/task").filter((task) => nameOf(task) === "Worker").length;
}

/** Sends 49 datagrams of 1312 bytes per call (UDP GSO) from argv[1] to argv[2]:argv[3], 20 s. */
const FLOOD_SCRIPT = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.setsockopt(17, 103, 1312)
data = bytes(1312 * 49)
end = time.time() + 20
while time.time() < end:
    s.sendto(data, (sys.argv[2], int(sys.argv[3])))
`;

const SIZES = [0, 1, 2, 20, 31, 32, 33, 64, 100, 548, 1024, 1280, 1312, 1316, 1400, 1472, 1500];

describe.skipIf(!isRoot)("UdpPacketIo on real sockets in a network namespace", () => {
  beforeAll(() => createVethPair(NS_A, NS_B));
  afterAll(async () => {
    for (const end of opened) await closeEnd(end);
    deleteVethPair(NS_A, NS_B);
  });

  test("IPv4 and IPv6 peers reach one dual-stack socket and get their datagrams echoed, 0 to 1500 bytes, in order", async () => {
    const b = await openEnd(NS_B, { address: "::" });
    const a4 = await openEnd(NS_A, { address: A4 });
    const a6 = await openEnd(NS_A, { address: A6 });
    expect(b.socket.family).toBe(6);
    expect(a4.socket.family).toBe(4);
    expect(b.socket.local).toEqual({ family: 6, address: "::", port: b.port });
    expect(a4.socket.local).toEqual({ family: 4, address: A4, port: a4.port });

    const echoing = echo(b);
    const sent4 = SIZES.map((size, i) => payload(i, size));
    const sent6 = SIZES.map((size, i) => payload(1000 + i, size));
    send(a4, { family: 4, address: B4, port: b.port }, sent4);
    send(a6, { family: 6, address: B6, port: b.port }, sent6);
    const [back4, back6] = await Promise.all([
      receive(a4, sent4.length),
      receive(a6, sent6.length),
    ]);

    expect(back4.map((datagram) => datagram.bytes)).toEqual(sent4);
    expect(back6.map((datagram) => datagram.bytes)).toEqual(sent6);
    for (const datagram of back4) {
      expect(datagram.source).toEqual({ family: 4, address: B4, port: b.port });
    }
    for (const datagram of back6) {
      expect(datagram.source).toEqual({ family: 6, address: B6, port: b.port });
    }

    const total = (sizes: readonly Uint8Array[]) => sizes.reduce((sum, p) => sum + p.length, 0);
    // Counters follow the channel push by a moment, on the Workers' side.
    await until(() => b.io.stats().sent === 2 * SIZES.length);
    await until(() => a4.io.stats().received + a6.io.stats().received === 2 * SIZES.length);
    expect(b.io.stats()).toMatchObject({
      received: 2 * SIZES.length,
      receivedBytes: total(sent4) + total(sent6),
      sent: 2 * SIZES.length,
      sentBytes: total(sent4) + total(sent6),
      droppedNoSlot: 0,
      droppedChannelFull: 0,
      droppedTooLarge: 0,
      receiveErrors: 0,
      sendErrors: 0,
    });
    expect(a4.io.stats()).toMatchObject({ sent: SIZES.length, received: SIZES.length });
    expect(a4.io.stats().sendCalls).toBe(1);
    expect(a6.io.stats()).toMatchObject({ sent: SIZES.length, received: SIZES.length });

    await Promise.all([closeEnd(a4), closeEnd(a6), closeEnd(b)]);
    expect(await echoing).toBe(2 * SIZES.length);
    for (const end of [a4, a6, b]) expect(end.pool.stats().inUse).toBe(0);
  });

  test("the receiver sees the true source of each datagram: IPv4 through the dual-stack socket as IPv4", async () => {
    const b = await openEnd(NS_B, { address: "::" });
    const a4 = await openEnd(NS_A, { address: A4 });
    const a6 = await openEnd(NS_A, { address: A6 });
    send(a4, { family: 4, address: B4, port: b.port }, [payload(1, 10)]);
    const [from4] = await receive(b, 1);
    send(a6, { family: 6, address: B6, port: b.port }, [payload(2, 10)]);
    const [from6] = await receive(b, 1);
    expect(from4?.source).toEqual({ family: 4, address: A4, port: a4.port });
    expect(from6?.source).toEqual({ family: 6, address: A6, port: a6.port });
    await Promise.all([closeEnd(a4), closeEnd(a6), closeEnd(b)]);
  });

  test("datagrams larger than a slot are dropped and counted; the rest arrive", async () => {
    const b = await openEnd(NS_B, { address: B4 }, BufferPool.create({ slotCount: 256 }));
    const a = await openEnd(NS_A, { address: A4 });
    const sizes = [10, 1316, 1317, 1500, 11];
    send(
      a,
      { family: 4, address: B4, port: b.port },
      sizes.map((size, i) => payload(i, size)),
    );
    const arrived = await receive(b, 3, 1000);
    expect(arrived.map((datagram) => datagram.bytes.length)).toEqual([10, 1316, 11]);
    await until(() => b.io.stats().received === 3);
    expect(b.io.stats()).toMatchObject({ received: 3, droppedTooLarge: 2 });
    await Promise.all([closeEnd(a), closeEnd(b)]);
  });

  test("with the pool exhausted, datagrams are taken off the socket, dropped and counted", async () => {
    const b = await openEnd(NS_B, { address: B4 }, BufferPool.create({ slotCount: 16 }));
    const a = await openEnd(NS_A, { address: A4 });
    send(
      a,
      { family: 4, address: B4, port: b.port },
      Array.from({ length: 40 }, (_, i) => payload(i, 100)),
    );
    await until(() => b.io.stats().received + b.io.stats().droppedNoSlot === 40);
    expect(b.io.stats()).toMatchObject({ received: 16, droppedNoSlot: 24 });
    expect(b.pool.stats().inUse).toBe(16);
    const arrived = await receive(b, 16);
    expect(arrived.map((datagram) => datagram.bytes)).toEqual(
      Array.from({ length: 16 }, (_, i) => payload(i, 100)),
    );

    // Once the consumer gives slots back, the receiver arms them again.
    send(a, { family: 4, address: B4, port: b.port }, [payload(99, 100)]);
    expect((await receive(b, 1)).map((datagram) => datagram.bytes)).toEqual([payload(99, 100)]);
    await Promise.all([closeEnd(a), closeEnd(b)]);
    expect(b.pool.stats().inUse).toBe(0);
  });

  test("with fromNetwork full, datagrams are dropped and counted, and their slots reused", async () => {
    const pool = BufferPool.create({ slotCount: 256 });
    const b = await openEnd(NS_B, { address: B4 }, pool, { fromNetwork: PacketChannel.create(8) });
    const a = await openEnd(NS_A, { address: A4 });
    send(
      a,
      { family: 4, address: B4, port: b.port },
      Array.from({ length: 40 }, (_, i) => payload(i, 100)),
    );
    await until(() => b.io.stats().received + b.io.stats().droppedChannelFull === 40);
    expect(b.io.stats()).toMatchObject({ received: 8, droppedChannelFull: 32, droppedNoSlot: 0 });
    const arrived = await receive(b, 8);
    expect(arrived.map((datagram) => datagram.bytes)).toEqual(
      Array.from({ length: 8 }, (_, i) => payload(i, 100)),
    );
    await Promise.all([closeEnd(a), closeEnd(b)]);
    expect(pool.stats().inUse).toBe(0);
  });

  test("datagrams the kernel refuses, laid out wrongly or in no slot are counted, and their slots given back", async () => {
    const a = await openEnd(NS_A, { address: A4 });
    const b = await openEnd(NS_B, { address: B4 });
    send(a, { family: 6, address: B6, port: b.port }, [payload(1, 10)]);
    const misplaced = a.pool.take() ?? -1;
    writeSlotAddress(a.pool, misplaced, { family: 4, address: B4, port: b.port });
    expect(a.toNetwork.push(misplaced, 10, 8)).toBe(true);
    expect(a.toNetwork.push(a.pool.slotCount + 5, 10, 64)).toBe(true);
    send(a, { family: 4, address: B4, port: b.port }, [payload(2, 10)]);
    const arrived = await receive(b, 1);
    expect(arrived.map((datagram) => datagram.bytes)).toEqual([payload(2, 10)]);
    await until(() => a.io.stats().sendErrors === 3);
    expect(a.io.stats()).toMatchObject({ sent: 1, sendErrors: 3 });
    await Promise.all([closeEnd(a), closeEnd(b)]);
    expect(a.pool.stats().inUse).toBe(0);
  });

  test("GSO sends runs to one peer as single messages, and every datagram arrives intact and in order", async () => {
    const b = await openEnd(NS_B, { address: "::" });
    const a = await openEnd(NS_A, { address: A4 }, undefined, { gso: true });
    const a6 = await openEnd(NS_A, { address: A6 }, undefined, { gso: true });
    const sizes = [...Array(60).fill(1312), 500, ...Array(3).fill(1312)];
    const sent = sizes.map((size, i) => payload(i, size));
    send(a, { family: 4, address: B4, port: b.port }, sent);
    const arrived = await receive(b, sent.length);
    expect(arrived.map((datagram) => datagram.bytes)).toEqual(sent);
    // 49 segments of 1312 fill a 64 KiB datagram, then 11 + the 500-byte one, then 3: one call.
    await until(() => a.io.stats().sent === 64);
    expect(a.io.stats()).toMatchObject({
      sent: 64,
      sendCalls: 1,
      gsoMessages: 3,
      sendErrors: 0,
      gsoFallbacks: 0,
    });

    const mixed = [100, 100, 100, 1400, 1400, 0, 5, 5].map((size, i) => payload(i, size));
    send(a6, { family: 6, address: B6, port: b.port }, mixed);
    expect((await receive(b, mixed.length)).map((datagram) => datagram.bytes)).toEqual(mixed);
    await until(() => a6.io.stats().sent === mixed.length);
    // [100 x3] [1400 x2] [0] [5 x2]: an empty datagram is never a segment.
    expect(a6.io.stats()).toMatchObject({ sent: mixed.length, gsoMessages: 3, sendErrors: 0 });

    // Segments that do not fit the link MTU as one IPv4 packet each: the kernel refuses the
    // GSO message (EINVAL) and the sender sends them one by one, fragmented, instead.
    const large = [1480, 1480, 1480].map((size, i) => payload(i, size));
    send(a, { family: 4, address: B4, port: b.port }, large);
    expect((await receive(b, large.length)).map((datagram) => datagram.bytes)).toEqual(large);
    await until(() => a.io.stats().sent === 67);
    expect(a.io.stats()).toMatchObject({
      sent: 67,
      sendCalls: 3,
      gsoMessages: 3,
      sendErrors: 0,
      gsoFallbacks: 0,
    });
    await Promise.all([closeEnd(a), closeEnd(a6), closeEnd(b)]);
  });

  test("stop() leaves no Worker thread and no descriptor behind", async () => {
    await until(() => workerThreads() === 0);
    const fdsBefore = readdirSync("/proc/self/fd").length;
    const workersBefore = workerThreads();
    const b = await openEnd(NS_B, { address: "::" });
    const a = await openEnd(NS_A, { address: A4 });
    expect(workerThreads()).toBe(workersBefore + 4);
    // Two sockets and two wake pipes, plus whatever each Worker's event loop opens.
    expect(readdirSync("/proc/self/fd").length).toBeGreaterThanOrEqual(fdsBefore + 6);
    send(a, { family: 4, address: B4, port: b.port }, [payload(1, 10)]);
    expect(await receive(b, 1)).toHaveLength(1);
    await Promise.all([closeEnd(a), closeEnd(b)]);
    await until(() => workerThreads() === workersBefore);
    expect(workerThreads()).toBe(workersBefore);
    expect(readdirSync("/proc/self/fd").length).toBe(fdsBefore);
    await a.io.stop();
  });

  test("stop() returns promptly while a flood keeps the socket readable", async () => {
    // One datagram per receive call against a GSO flood from another process: the socket never
    // runs empty, so only the receiver's periodic look at its wake pipe can stop it.
    const b = await openEnd(NS_B, { address: B4 }, undefined, { batchSize: 1 });
    const flood = Bun.spawn(
      ["ip", "netns", "exec", NS_A, "python3", "-c", FLOOD_SCRIPT, A4, B4, String(b.port)],
      { stdout: "ignore", stderr: "ignore" },
    );
    let consuming = true;
    const consumer = (async () => {
      const batch = new DescriptorBatch(1024);
      while (consuming) {
        b.pool.giveBackBatch(batch.slots, b.fromNetwork.popBatch(batch));
        await Bun.sleep(1);
      }
    })();
    try {
      await until(() => b.io.stats().received > 20_000, 10_000);
      expect(b.io.stats().received).toBeGreaterThan(20_000);
      // A liveness bound, not a speed one: the flood runs for 20 s, stopping takes milliseconds.
      const stopped = await Promise.race([
        closeEnd(b).then(() => "stopped"),
        Bun.sleep(1500).then(() => "still running"),
      ]);
      expect(stopped).toBe("stopped");
      expect(flood.exitCode).toBeNull();
    } finally {
      flood.kill("SIGKILL");
      await flood.exited;
      consuming = false;
      await consumer;
    }
  });

  test("UdpSocket.open says why it cannot bind", () => {
    expect(() => insideNamespace(NS_A, () => UdpSocket.open({ address: "198.18.9.9" }))).toThrow(
      "bind to 198.18.9.9:0: no interface has this address",
    );
    const taken = insideNamespace(NS_A, () => UdpSocket.open({ address: A4 }));
    try {
      expect(() =>
        insideNamespace(NS_A, () => UdpSocket.open({ address: A4, port: taken.local.port })),
      ).toThrow(UdpSocketError);
      expect(() =>
        insideNamespace(NS_A, () => UdpSocket.open({ address: A4, port: taken.local.port })),
      ).toThrow("the port is in use by another socket");
    } finally {
      taken.close();
    }
    expect(() => UdpSocket.open({ address: "not-an-address" })).toThrow("invalid local address");
    expect(() => UdpSocket.open({ port: 70000 })).toThrow("invalid local address");
  });

  test("UdpSocket.open raises the socket buffers past the sysctl limits as root", () => {
    const socket = insideNamespace(NS_A, () =>
      UdpSocket.open({ receiveBufferBytes: 16 << 20, sendBufferBytes: 2 << 20 }),
    );
    try {
      // The kernel reports twice what it was asked for.
      expect(socket.buffers).toEqual({ receiveBufferBytes: 32 << 20, sendBufferBytes: 4 << 20 });
    } finally {
      socket.close();
    }
  });
});
