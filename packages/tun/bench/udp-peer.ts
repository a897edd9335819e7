/**
 * One side of a UDP benchmark case, run by udp.bench.ts inside a network namespace. A sender
 * sends `datagramBytes`-byte datagrams from pool slots as fast as it can; a receiver takes what
 * arrives into pool slots, counts it and gives the slots back, as a shell would before handing
 * them on. Prints "ready", then a "mark" line with its counters and CPU time per "mark" on
 * stdin, and stops on "stop".
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  encodeSocketAddress,
  setSocketBufferSizes,
  UdpPacketIo,
  UdpSocket,
} from "@fz/tun";
import type { BunReceiverInit } from "./udp-bun-receiver.ts";
import type { PeerJob, PeerReport } from "./udp-protocol.ts";

const job = JSON.parse(process.argv[2] ?? "{}") as PeerJob;
const pool = BufferPool.create({ slotCount: 8192 });
const counts = { packets: 0, bytes: 0 };
/** What the application moved so far; an FFI sender reads its Worker's counters instead. */
let progress = (): { packets: number; bytes: number } => counts;
let running = true;
let finish: () => Promise<Record<string, number>> = async () => ({});

function report(line: PeerReport): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Lets stdin and socket callbacks run between bursts of sending. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function bunReceiver(): Promise<number> {
  const shared = new Float64Array(new SharedArrayBuffer(16));
  const worker = new Worker(new URL("./udp-bun-receiver.ts", import.meta.url).href);
  const port = new Promise<number>((resolve, reject) => {
    worker.addEventListener("message", (event: MessageEvent<number>) => resolve(event.data));
    worker.addEventListener("error", (event) => reject(new Error(event.message)));
  });
  const init: BunReceiverInit = {
    bind: job.bind,
    pool: pool.buffer,
    counts: shared.buffer as SharedArrayBuffer,
  };
  worker.postMessage(init);
  progress = () => ({ packets: shared[0] ?? 0, bytes: shared[1] ?? 0 });
  finish = async () => {
    worker.terminate();
    return {};
  };
  return port;
}

/** Datagrams of the benchmark's size that fit one GSO send (64 KiB of UDP payload). */
const SEGMENTS_PER_SEND = Math.min(64, Math.floor(65507 / job.datagramBytes));

async function bunSender(gso: boolean): Promise<number> {
  let drained: (() => void) | undefined;
  const socket = await Bun.udpSocket({
    hostname: job.bind,
    port: 0,
    socket: {
      drain() {
        drained?.();
      },
    },
  });
  setSocketBufferSizes(fdOf(socket), {
    receiveBufferBytes: DEFAULT_RECEIVE_BUFFER_BYTES,
    sendBufferBytes: DEFAULT_SEND_BUFFER_BYTES,
  });
  if (gso) setSegmentSize(fdOf(socket), job.datagramBytes);
  fillPayloads();
  const slots = new Int32Array(job.batchSize);
  const headroom = pool.headroom;
  const staging = Array.from(
    { length: Math.ceil(job.batchSize / SEGMENTS_PER_SEND) },
    () => new Uint8Array(SEGMENTS_PER_SEND * job.datagramBytes),
  );
  const send = async () => {
    while (running) {
      for (let burst = 0; burst < 16 && running; burst++) {
        const taken = pool.takeBatch(slots, job.batchSize);
        const packets: (Uint8Array | number | string)[] = [];
        if (gso) {
          // Bun sends each entry as one datagram: copy runs of datagrams into one buffer each
          // and let the kernel split it (UDP_SEGMENT on the socket).
          for (let first = 0; first < taken; first += SEGMENTS_PER_SEND) {
            const run = Math.min(SEGMENTS_PER_SEND, taken - first);
            const buffer = staging[first / SEGMENTS_PER_SEND] ?? new Uint8Array(0);
            for (let i = 0; i < run; i++) {
              const bytes = pool.bytes(slots[first + i] ?? 0);
              buffer.set(
                bytes.subarray(headroom, headroom + job.datagramBytes),
                i * job.datagramBytes,
              );
            }
            packets.push(buffer.subarray(0, run * job.datagramBytes), job.targetPort, job.target);
          }
        } else {
          for (let i = 0; i < taken; i++) {
            const view = pool.bytes(slots[i] ?? 0).subarray(headroom, headroom + job.datagramBytes);
            packets.push(view, job.targetPort, job.target);
          }
        }
        const entries = packets.length / 3;
        const sentEntries = socket.sendMany(packets);
        pool.giveBackBatch(slots, taken);
        const sent =
          sentEntries === entries ? taken : gso ? sentEntries * SEGMENTS_PER_SEND : sentEntries;
        counts.packets += sent;
        counts.bytes += sent * job.datagramBytes;
        if (sentEntries < entries) {
          await new Promise<void>((resolve) => {
            drained = resolve;
          });
        }
      }
      await yieldToLoop();
    }
  };
  const sending = send();
  finish = async () => {
    running = false;
    await sending;
    socket.close();
    return {};
  };
  return socket.port;
}

async function ffiReceiver(): Promise<number> {
  const socket = UdpSocket.open({ address: job.bind });
  const fromNetwork = PacketChannel.create(4096);
  const toNetwork = PacketChannel.create(16);
  const io = await UdpPacketIo.start(socket, {
    pool,
    fromNetwork,
    toNetwork,
    batchSize: job.batchSize,
  });
  const batch = new DescriptorBatch(job.batchSize);
  const consume = async () => {
    for (let round = 1; ; round++) {
      // A shell gives the rest of its event loop a turn now and then under load; so does this.
      if (round % 64 === 0) await yieldToLoop();
      if (fromNetwork.popBatch(batch) === 0) {
        if ((await fromNetwork.waitAsync()) === "closed") return;
        continue;
      }
      for (let i = 0; i < batch.count; i++) counts.bytes += batch.lengths[i] ?? 0;
      counts.packets += batch.count;
      pool.giveBackBatch(batch.slots, batch.count);
    }
  };
  const consuming = consume();
  finish = async () => {
    fromNetwork.close();
    await consuming;
    await io.stop();
    socket.close();
    return { ...io.stats() };
  };
  return socket.local.port;
}

async function ffiSender(gso: boolean): Promise<number> {
  const socket = UdpSocket.open({ address: job.bind });
  const fromNetwork = PacketChannel.create(16);
  const toNetwork = PacketChannel.create(4096);
  const io = await UdpPacketIo.start(socket, {
    pool,
    fromNetwork,
    toNetwork,
    batchSize: job.batchSize,
    gso,
  });
  const record = encodeSocketAddress({ family: 4, address: job.target, port: job.targetPort });
  if (record === undefined) throw new Error(`bad target ${job.target}`);
  fillPayloads();
  progress = () => {
    const stats = io.stats();
    return { packets: stats.sent, bytes: stats.sentBytes };
  };
  const slots = new Int32Array(job.batchSize);
  const batch = new DescriptorBatch(job.batchSize);
  const send = async () => {
    while (running) {
      for (let burst = 0; burst < 16 && running; burst++) {
        const taken = pool.takeBatch(slots, job.batchSize);
        batch.count = 0;
        for (let i = 0; i < taken; i++) {
          const slot = slots[i] ?? 0;
          pool.bytes(slot).set(record, 0);
          batch.add(slot, job.datagramBytes, pool.headroom);
        }
        const pushed = toNetwork.pushBatch(batch);
        for (let i = pushed; i < taken; i++) pool.giveBack(slots[i] ?? 0);
        // Full channel or empty pool: the sender Worker is behind; let it catch up.
        if (pushed < job.batchSize) await Bun.sleep(1);
      }
      await yieldToLoop();
    }
  };
  const sending = send();
  finish = async () => {
    running = false;
    await sending;
    fromNetwork.close();
    await io.stop();
    socket.close();
    return { ...io.stats() };
  };
  return socket.local.port;
}

/** Every slot carries a datagram's worth of bytes, written once, as if encryption had. */
function fillPayloads(): void {
  const slots = new Int32Array(pool.slotCount);
  const taken = pool.takeBatch(slots);
  for (let i = 0; i < taken; i++) {
    const bytes = pool.bytes(slots[i] ?? 0);
    for (let b = 0; b < job.datagramBytes; b++) bytes[pool.headroom + b] = (b * 7 + i) & 0xff;
  }
  pool.giveBackBatch(slots, taken);
}

/** Sets UDP_SEGMENT on a Bun socket's fd, so one large send leaves as datagrams of `bytes`. */
function setSegmentSize(fd: number, bytes: number): void {
  const { symbols } = dlopen("libc.so.6", {
    setsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i32,
    },
  });
  const SOL_UDP = 17;
  const UDP_SEGMENT = 103;
  if (symbols.setsockopt(fd, SOL_UDP, UDP_SEGMENT, ptr(Int32Array.of(bytes)), 4) !== 0) {
    throw new Error("setsockopt(UDP_SEGMENT) failed");
  }
}

function fdOf(socket: object): number {
  const fd = (socket as { fd?: unknown }).fd;
  if (typeof fd !== "number") throw new Error("this Bun's UDP socket has no fd");
  return fd;
}

const start =
  job.role === "receive"
    ? job.impl === "bun"
      ? bunReceiver
      : ffiReceiver
    : job.impl === "bun" || job.impl === "bun-gso"
      ? () => bunSender(job.impl === "bun-gso")
      : () => ffiSender(job.impl === "ffi-gso");

report({ kind: "ready", port: await start() });

let pending = "";
process.stdin.on("data", async (chunk: Buffer) => {
  pending += chunk.toString();
  for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
    const command = pending.slice(0, end).trim();
    pending = pending.slice(end + 1);
    if (command === "mark") {
      const cpu = process.cpuUsage();
      const { packets, bytes } = progress();
      report({
        kind: "mark",
        packets,
        bytes,
        ns: Bun.nanoseconds(),
        userUs: cpu.user,
        systemUs: cpu.system,
      });
    } else if (command === "stop") {
      report({ kind: "stopped", stats: await finish() });
      process.exit(0);
    }
  }
});
