import { ptr } from "bun:ffi";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import type { IoWorkerMessage } from "./io-protocol.ts";
import { Errno, errno, libc, POLLIN } from "./linux/libc.ts";
import {
  AF_INET,
  IOVEC_BYTES,
  MMSGHDR_BYTES,
  MSG_DONTWAIT,
  MSG_TRUNC,
  Msghdr,
  SEGMENT_CMSG_BYTES,
  SEGMENT_CMSG_LENGTH,
  SOCKADDR_IN_BYTES,
  SOCKADDR_IN6_BYTES,
  SOL_UDP,
  SocketErrno,
  sockets,
  UDP_SEGMENT,
} from "./linux/socket-calls.ts";
import { SLOT_DATA_MIN_OFFSET } from "./slot-address.ts";
import { UdpCounter, type UdpWorkerInit } from "./udp-io-protocol.ts";

declare const self: Worker;

const POLLOUT = 0x004;
const TWO_TO_32 = 4294967296;
/** Segments per GSO send: wireguard-go's cap, and what every kernel with UDP_SEGMENT accepts. */
const MAX_GSO_SEGMENTS = 64;
/** Largest UDP payload of one IPv4 datagram, which a GSO send may not exceed in total. */
const MAX_GSO_BYTES = 65507;
/** Receive calls between two looks at the wake pipe while the socket stays readable. */
const MAX_ROUNDS_PER_POLL = 64;
/** The `::ffff` of `::ffff:0:0/96`: a sockaddr_in6 record's bytes 16..19 as a little-endian int32. */
const MAPPED_MARKER = -65536;

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

/** Stores a pointer (a number below 2^53) as the two 32-bit halves of a little-endian u64. */
function setPointer(words: Uint32Array, byteOffset: number, pointer: number): void {
  const index = byteOffset >> 2;
  words[index] = pointer >>> 0;
  words[index + 1] = Math.floor(pointer / TWO_TO_32);
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
          if (init.family === 6) unmapIpv4Source(poolWords, pool.offsetOf(slot) >> 2);
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
 * A dual-stack socket reports an IPv4 source as `::ffff:a.b.c.d` in a sockaddr_in6; rewrite it
 * in place as the sockaddr_in it is, so every IPv4 peer has one record form.
 */
function unmapIpv4Source(words: Int32Array, at: number): void {
  const first = words[at] ?? 0;
  if ((first & 0xffff) === AF_INET || words[at + 2] !== 0 || words[at + 3] !== 0) return;
  if (words[at + 4] !== MAPPED_MARKER) return;
  words[at] = (first & -65536) | AF_INET;
  words[at + 1] = words[at + 5] ?? 0;
  words[at + 2] = 0;
  words[at + 3] = 0;
}

/**
 * Waits on the channel, sends each batch with sendmmsg straight from the slots (the destination
 * from each slot's record, the datagram at its `meta` offset), and gives the slots back. With
 * GSO, a run of datagrams to one peer with one size (the last may be shorter) goes as one
 * message whose iovecs point at the slots, split by the kernel (UDP_SEGMENT in a cmsg).
 */
function sendLoop(init: UdpWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const poolWords = new Int32Array(init.pool);
  const capacity = init.batchSize;

  const headers = new Uint32Array((capacity * MMSGHDR_BYTES) / 4);
  const iovecs = new Uint32Array((capacity * IOVEC_BYTES) / 4);
  const controls = new Uint32Array((capacity * SEGMENT_CMSG_BYTES) / 4);
  const segmentSizes = new Uint16Array(controls.buffer);
  const headersPointer = ptr(headers);
  const iovecsPointer = ptr(iovecs);
  const controlsPointer = ptr(controls);
  for (let m = 0; m < capacity; m++) {
    const at = (m * SEGMENT_CMSG_BYTES) >> 2;
    controls[at] = SEGMENT_CMSG_LENGTH;
    controls[at + 2] = SOL_UDP;
    controls[at + 3] = UDP_SEGMENT;
    headers[(m * MMSGHDR_BYTES + Msghdr.NameLength) >> 2] = SOCKADDR_IN6_BYTES;
  }
  const pollfds = Int32Array.of(init.fd, POLLOUT);
  const pollPointer = ptr(pollfds);

  const slots = new Int32Array(capacity);
  const lengths = new Int32Array(capacity);
  const messageSize = new Int32Array(capacity);
  const messageBytes = new Int32Array(capacity);
  const batch = new DescriptorBatch(capacity);
  let gso = init.gso;

  /** Lays out messages for datagrams `from` onwards; those before `singlesUntil` go alone. */
  const layOut = (from: number, total: number, singlesUntil: number): number => {
    let messages = 0;
    for (let first = from; first < total; ) {
      const size = lengths[first] ?? 0;
      let segments = 1;
      let bytes = size;
      if (gso && first >= singlesUntil && size > 0) {
        const record = pool.offsetOf(slots[first] ?? 0) >> 2;
        while (first + segments < total && segments < MAX_GSO_SEGMENTS) {
          const next = lengths[first + segments] ?? 0;
          if (next === 0 || next > size || bytes + next > MAX_GSO_BYTES) break;
          const other = pool.offsetOf(slots[first + segments] ?? 0) >> 2;
          if (!samePeer(poolWords, record, other)) break;
          bytes += next;
          segments++;
          if (next < size) break;
        }
      }
      const at = messages * MMSGHDR_BYTES;
      setPointer(headers, at + Msghdr.Name, base + pool.offsetOf(slots[first] ?? 0));
      setPointer(headers, at + Msghdr.Iov, iovecsPointer + first * IOVEC_BYTES);
      headers[(at + Msghdr.IovLength) >> 2] = segments;
      if (segments > 1) {
        segmentSizes[(messages * SEGMENT_CMSG_BYTES + 16) >> 1] = size;
        setPointer(headers, at + Msghdr.Control, controlsPointer + messages * SEGMENT_CMSG_BYTES);
        headers[(at + Msghdr.ControlLength) >> 2] = SEGMENT_CMSG_BYTES;
      } else {
        setPointer(headers, at + Msghdr.Control, 0);
        headers[(at + Msghdr.ControlLength) >> 2] = 0;
      }
      messageSize[messages] = segments;
      messageBytes[messages] = bytes;
      messages++;
      first += segments;
    }
    return messages;
  };

  for (;;) {
    if (channel.popBatch(batch) === 0) {
      if (channel.wait() === "closed") return;
      continue;
    }
    let total = 0;
    let invalid = 0;
    let owned = 0;
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
      slots[total] = slot;
      lengths[total] = length;
      setPointer(iovecs, total * IOVEC_BYTES, base + pool.offsetOf(slot) + offset);
      iovecs[(total * IOVEC_BYTES + 8) >> 2] = length;
      total++;
    }
    let failed = invalid;
    let sent = 0;
    let bytes = 0;
    let calls = 0;
    let segmented = 0;
    let singlesUntil = 0;
    for (let next = 0; next < total; ) {
      const messages = layOut(next, total, singlesUntil);
      const done = sockets.sendmmsg(init.fd, headersPointer, messages, 0);
      calls++;
      if (done > 0) {
        for (let m = 0; m < done; m++) {
          const segments = messageSize[m] ?? 0;
          next += segments;
          sent += segments;
          bytes += messageBytes[m] ?? 0;
          if (segments > 1) segmented++;
        }
        continue;
      }
      if (done === 0) {
        failed += total - next;
        break;
      }
      const code = errno();
      if (code === SocketErrno.EINTR) continue;
      if (code === SocketErrno.EAGAIN) {
        libc.poll(pollPointer, 1, -1);
        continue;
      }
      // The first message failed. A GSO message is retried as single datagrams (the kernel
      // refuses GSO past the path MTU, and with EIO where the device cannot checksum it);
      // a single one is counted and skipped.
      const segments = messageSize[0] ?? 1;
      if (segments > 1) {
        if (code === SocketErrno.EIO) {
          gso = false;
          add(counters, UdpCounter.GsoFallbacks, 1);
        }
        singlesUntil = next + segments;
        continue;
      }
      failed++;
      next++;
    }
    try {
      pool.giveBackBatch(batch.slots, owned);
    } catch {
      // A slot that was not taken (a double send): the others went back; count it and go on.
      failed++;
    }
    add(counters, UdpCounter.Sent, sent);
    add(counters, UdpCounter.SentBytes, bytes);
    add(counters, UdpCounter.SendCalls, calls);
    add(counters, UdpCounter.SendErrors, failed);
    add(counters, UdpCounter.GsoMessages, segmented);
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
