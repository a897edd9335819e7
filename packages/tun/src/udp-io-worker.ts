import { ptr } from "bun:ffi";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import { DatagramSender, setPointer } from "./datagram-sender.ts";
import type { IoWorkerMessage } from "./io-protocol.ts";
import { Errno, errno, libc, POLLIN } from "./linux/libc.ts";
import {
  AF_INET,
  IOVEC_BYTES,
  MMSGHDR_BYTES,
  MSG_DONTWAIT,
  MSG_TRUNC,
  Msghdr,
  SOCKADDR_IN_BYTES,
  SOCKADDR_IN6_BYTES,
  sockets,
} from "./linux/socket-calls.ts";
import { SLOT_DATA_MIN_OFFSET } from "./slot-address.ts";
import { unmapIpv4Record } from "./socket-address.ts";
import { UdpCounter, type UdpWorkerInit } from "./udp-io-protocol.ts";

declare const self: Worker;

/** Receive calls between two looks at the wake pipe while the socket stays readable. */
const MAX_ROUNDS_PER_POLL = 64;

self.onmessage = (event: MessageEvent<UdpWorkerInit>) => {
  const init = event.data;
  try {
    post({ kind: "ready" });
    if (init.role === "receiver") receiveLoop(init);
    else sendLoop(init);
    post({ kind: "stopped" });
  } catch (error) {
    post({ kind: "failed", message: String(error) });
  }
};

function post(message: IoWorkerMessage): void {
  self.postMessage(message);
}

function add(counters: Float64Array, index: number, amount: number): void {
  counters[index] = (counters[index] ?? 0) + amount;
}

/**
 * Sleeps in poll() until the socket or the wake pipe is readable, then receives with recvmmsg
 * straight into pool slots (the source address into the slot's record, the datagram at
 * `pool.headroom`) until the socket is empty, pushing each batch to the channel. The Worker
 * keeps up to `batchSize` slots armed in its message headers; slots whose datagram it drops
 * (too large, channel full) stay armed for the next call instead of going back to the pool.
 */
function receiveLoop(init: UdpWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const poolWords = new Int32Array(init.pool);
  const capacity = init.batchSize;
  const headroom = pool.headroom;
  const nameLength = init.family === 6 ? SOCKADDR_IN6_BYTES : SOCKADDR_IN_BYTES;

  const headers = new Uint32Array((capacity * MMSGHDR_BYTES) / 4);
  const iovecs = new Uint32Array((capacity * IOVEC_BYTES) / 4);
  const headersPointer = ptr(headers);
  const iovecsPointer = ptr(iovecs);
  for (let i = 0; i < capacity; i++) {
    setPointer(headers, i * MMSGHDR_BYTES + Msghdr.Iov, iovecsPointer + i * IOVEC_BYTES);
    headers[(i * MMSGHDR_BYTES + Msghdr.IovLength) >> 2] = 1;
    iovecs[(i * IOVEC_BYTES + 8) >> 2] = pool.slotCapacity;
  }
  // With no free slot, datagrams are still taken off the socket (into no buffer) and counted,
  // or poll() would report the socket readable forever.
  const discard = new Uint32Array((capacity * MMSGHDR_BYTES) / 4);
  const discardPointer = ptr(discard);

  const pollfds = new Int32Array(4);
  pollfds[0] = init.fd;
  pollfds[1] = POLLIN;
  pollfds[2] = init.wakeFd;
  pollfds[3] = POLLIN;
  const pollPointer = ptr(pollfds);

  const armed = new Int32Array(capacity);
  const spare = new Int32Array(capacity);
  const batch = new DescriptorBatch(capacity);
  let filled = 0;

  try {
    for (;;) {
      if (libc.poll(pollPointer, 2, -1) < 0) {
        if (errno() === Errno.EINTR) continue;
        add(counters, UdpCounter.ReceiveErrors, 1);
        return;
      }
      if (pollfds[3] >>> 16 !== 0) return;
      // Under a flood the socket never empties: go back to poll() now and then to see the
      // wake pipe (one poll per 64 batches costs nothing next to them).
      for (let round = 0; round < MAX_ROUNDS_PER_POLL; round++) {
        while (filled < capacity) {
          const slot = pool.take();
          if (slot === undefined) break;
          armed[filled++] = slot;
        }
        if (filled === 0) {
          const dropped = sockets.recvmmsg(init.fd, discardPointer, capacity, MSG_DONTWAIT, null);
          if (dropped < 0 && errno() === Errno.EINTR) continue;
          if (dropped <= 0) break;
          add(counters, UdpCounter.ReceiveCalls, 1);
          add(counters, UdpCounter.DroppedNoSlot, dropped);
          continue;
        }
        for (let i = 0; i < filled; i++) {
          const at = i * MMSGHDR_BYTES;
          const slotPointer = base + pool.offsetOf(armed[i] ?? 0);
          setPointer(headers, at + Msghdr.Name, slotPointer);
          headers[(at + Msghdr.NameLength) >> 2] = nameLength;
          setPointer(iovecs, i * IOVEC_BYTES, slotPointer + headroom);
        }
        const count = sockets.recvmmsg(init.fd, headersPointer, filled, MSG_DONTWAIT, null);
        if (count < 0) {
          const code = errno();
          if (code === Errno.EINTR) continue;
          if (code !== Errno.EAGAIN) add(counters, UdpCounter.ReceiveErrors, 1);
          break;
        }
        add(counters, UdpCounter.ReceiveCalls, 1);

        batch.count = 0;
        let kept = 0;
        for (let i = 0; i < count; i++) {
          const at = i * MMSGHDR_BYTES;
          const slot = armed[i] ?? 0;
          if (((headers[(at + Msghdr.Flags) >> 2] ?? 0) & MSG_TRUNC) !== 0) {
            spare[kept++] = slot;
            continue;
          }
          if (init.family === 6) unmapIpv4Record(poolWords, pool.offsetOf(slot) >> 2);
          batch.add(slot, headers[(at + Msghdr.Length) >> 2] ?? 0, headroom);
        }
        add(counters, UdpCounter.DroppedTooLarge, kept);
        const pushed = batch.count > 0 ? channel.pushBatch(batch) : 0;
        let bytes = 0;
        for (let i = 0; i < pushed; i++) bytes += batch.lengths[i] ?? 0;
        for (let i = pushed; i < batch.count; i++) spare[kept++] = batch.slots[i] ?? 0;
        add(counters, UdpCounter.Received, pushed);
        add(counters, UdpCounter.ReceivedBytes, bytes);
        add(counters, UdpCounter.DroppedChannelFull, batch.count - pushed);

        const asked = filled;
        armed.copyWithin(0, count, filled);
        filled -= count;
        for (let i = 0; i < kept; i++) armed[filled++] = spare[i] ?? 0;
        // A short batch means the socket is empty: back to poll() without an EAGAIN round trip.
        if (count < asked) break;
      }
    }
  } finally {
    for (let i = 0; i < filled; i++) pool.giveBack(armed[i] ?? 0);
  }
}

/**
 * Waits on the channel and sends each batch straight from the slots (the destination from each
 * slot's record, the datagram at its `meta` offset) with a `DatagramSender`, then gives the
 * slots back. Slots with one peer next to each other may share a GSO message.
 */
function sendLoop(init: UdpWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const poolWords = new Int32Array(init.pool);
  const sender = new DatagramSender(init.fd, init.batchSize, init.gso);
  const batch = new DescriptorBatch(init.batchSize);
  let invalid = 0;

  for (;;) {
    if (channel.popBatch(batch) === 0) {
      if (channel.wait() === "closed") return;
      continue;
    }
    let owned = 0;
    let peer = -1;
    let previous = -1;
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slots[i] ?? -1;
      const offset = batch.metas[i] ?? 0;
      const length = batch.lengths[i] ?? 0;
      // A bad slot number would point sendmmsg outside the pool: never touch it.
      if (slot >>> 0 !== slot || slot >= pool.slotCount) {
        invalid++;
        continue;
      }
      batch.slots[owned++] = slot;
      if (offset < SLOT_DATA_MIN_OFFSET || length < 0 || offset + length > pool.slotSize) {
        invalid++;
        continue;
      }
      const record = pool.offsetOf(slot);
      if (previous < 0 || !samePeer(poolWords, previous >> 2, record >> 2)) peer = i;
      previous = record;
      sender.add(base + record + offset, length, base + record, peer);
    }
    sender.flush();
    try {
      pool.giveBackBatch(batch.slots, owned);
    } catch {
      // A slot that was not taken (a double send): the others went back; count it and go on.
      invalid++;
    }
    counters[UdpCounter.Sent] = sender.sent;
    counters[UdpCounter.SentBytes] = sender.sentBytes;
    counters[UdpCounter.SendCalls] = sender.sendCalls;
    counters[UdpCounter.SendErrors] = sender.sendErrors + invalid;
    counters[UdpCounter.GsoMessages] = sender.gsoMessages;
    counters[UdpCounter.GsoFallbacks] = sender.gsoFallbacks;
  }
}

/** Compares two slots' socket address records: family and port, then the address and scope. */
function samePeer(words: Int32Array, a: number, b: number): boolean {
  const head = words[a] ?? 0;
  if (head !== words[b]) return false;
  if ((head & 0xffff) === AF_INET) return words[a + 1] === words[b + 1];
  for (let i = 2; i < 7; i++) if (words[a + i] !== words[b + i]) return false;
  return true;
}
