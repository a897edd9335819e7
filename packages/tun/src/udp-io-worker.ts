import { ptr } from "bun:ffi";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import { DatagramReceiver } from "./datagram-receiver.ts";
import { DatagramSender } from "./datagram-sender.ts";
import type { IoWorkerMessage } from "./io-protocol.ts";
import { PollError, Poller } from "./poller.ts";
import { SLOT_DATA_MIN_OFFSET } from "./slot-address.ts";
import { sameSocketAddress, unmapIpv4Record } from "./socket-address.ts";
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
 * keeps up to `batchSize` slots armed in its receiver; slots whose datagram it drops (too
 * large, channel full) stay armed for the next call instead of going back to the pool.
 */
function receiveLoop(init: UdpWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const poolWords = new Int32Array(init.pool);
  const capacity = init.batchSize;
  const headroom = pool.headroom;
  const receiver = new DatagramReceiver(init.fd, capacity);
  // With no free slot, datagrams are still taken off the socket (by a receiver whose messages
  // have no buffers) and counted, or poll() would report the socket readable forever.
  const discarder = new DatagramReceiver(init.fd, capacity);
  const poller = new Poller([init.fd, init.wakeFd]);

  const armed = new Int32Array(capacity);
  const spare = new Int32Array(capacity);
  const batch = new DescriptorBatch(capacity);
  let filled = 0;
  let pollErrors = 0;
  const publishReceiverCounters = () => {
    counters[UdpCounter.ReceiveCalls] = receiver.receiveCalls + discarder.receiveCalls;
    counters[UdpCounter.ReceiveErrors] =
      receiver.receiveErrors + discarder.receiveErrors + pollErrors;
    counters[UdpCounter.DroppedTooLarge] = receiver.truncated;
  };

  try {
    for (;;) {
      try {
        if (poller.wait(-1) === 0) continue;
      } catch (error) {
        if (!(error instanceof PollError)) throw error;
        pollErrors++;
        return;
      }
      if (poller.ready(1)) return;
      // Under a flood the socket never empties: go back to poll() now and then to see the
      // wake pipe (one poll per 64 batches costs nothing next to them).
      for (let round = 0; round < MAX_ROUNDS_PER_POLL; round++) {
        while (filled < capacity) {
          const slot = pool.take();
          if (slot === undefined) break;
          armed[filled++] = slot;
        }
        if (filled === 0) {
          const dropped = discarder.receive();
          if (dropped === 0) break;
          add(counters, UdpCounter.DroppedNoSlot, dropped);
          continue;
        }
        for (let i = 0; i < filled; i++) {
          const slotPointer = base + pool.offsetOf(armed[i] ?? 0);
          receiver.arm(i, slotPointer, slotPointer + headroom, pool.slotCapacity);
        }
        const count = receiver.receive(filled);
        if (count === 0) break;

        batch.count = 0;
        let kept = 0;
        for (let i = 0; i < count; i++) {
          const slot = armed[i] ?? 0;
          const length = receiver.length(i);
          if (length < 0) {
            spare[kept++] = slot;
            continue;
          }
          if (init.family === 6) unmapIpv4Record(poolWords, pool.offsetOf(slot) >> 2);
          batch.add(slot, length, headroom);
        }
        publishReceiverCounters();
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
      publishReceiverCounters();
    }
  } finally {
    publishReceiverCounters();
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
  const poolBytes = new Uint8Array(init.pool);
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
      if (previous < 0 || !sameSocketAddress(poolBytes, previous, poolBytes, record)) peer = i;
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
