import { ptr } from "bun:ffi";
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import { Counter, type IoWorkerInit, type IoWorkerMessage } from "./io-protocol.ts";
import { Errno, errno, libc } from "./linux/libc.ts";
import { PollError, Poller } from "./poller.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<IoWorkerInit>) => {
  const init = event.data;
  try {
    post({ kind: "ready" });
    if (init.role === "reader") readLoop(init);
    else writeLoop(init);
    post({ kind: "stopped" });
  } catch (error) {
    post({ kind: "failed", message: String(error) });
  }
};

function post(message: IoWorkerMessage): void {
  self.postMessage(message);
}

/**
 * Sleeps in poll() until the TUN device or the wake pipe is readable, then reads packets
 * straight into pool slots until the device would block, handing them on in batches.
 */
function readLoop(init: IoWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const batch = new DescriptorBatch(init.batchSize);
  const scratch = new Uint8Array(65536);
  const poller = new Poller([init.fd, init.wakeFd]);
  const offset = pool.headroom;

  for (;;) {
    try {
      if (poller.wait(-1) === 0) continue;
    } catch (error) {
      if (!(error instanceof PollError)) throw error;
      counters[Counter.ReadErrors] = (counters[Counter.ReadErrors] ?? 0) + 1;
      return;
    }
    if (poller.ready(1)) return;
    let more = true;
    while (more) {
      batch.count = 0;
      while (batch.count < batch.capacity) {
        const slot = pool.take();
        if (slot === undefined) {
          // No slot: read the packet anyway so the device does not stall, and drop it.
          if (libc.read(init.fd, ptr(scratch), scratch.length) < 0) {
            more = false;
            break;
          }
          counters[Counter.DroppedNoSlot] = (counters[Counter.DroppedNoSlot] ?? 0) + 1;
          continue;
        }
        const length = libc.read(init.fd, base + pool.offsetOf(slot) + offset, pool.slotCapacity);
        if (length < 0) {
          pool.giveBack(slot);
          if (errno() !== Errno.EAGAIN) {
            counters[Counter.ReadErrors] = (counters[Counter.ReadErrors] ?? 0) + 1;
          }
          more = false;
          break;
        }
        batch.add(slot, length, offset);
      }
      if (batch.count > 0) {
        const pushed = channel.pushBatch(batch);
        for (let i = pushed; i < batch.count; i++) pool.giveBack(batch.slots[i] ?? -1);
        counters[Counter.Read] = (counters[Counter.Read] ?? 0) + pushed;
        counters[Counter.DroppedChannelFull] =
          (counters[Counter.DroppedChannelFull] ?? 0) + batch.count - pushed;
      }
    }
  }
}

/** Waits on the channel, writes each packet to the device, and gives its slot back. */
function writeLoop(init: IoWorkerInit): void {
  const pool = BufferPool.attach(init.pool);
  const channel = PacketChannel.attach(init.channel);
  const counters = new Float64Array(init.counters);
  const base = ptr(new Uint8Array(init.pool));
  const batch = new DescriptorBatch(init.batchSize);
  for (;;) {
    if (channel.popBatch(batch) === 0) {
      if (channel.wait() === "closed") return;
      continue;
    }
    let written = 0;
    let failed = 0;
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slots[i] ?? -1;
      const at = base + pool.offsetOf(slot) + (batch.metas[i] ?? 0);
      if (libc.write(init.fd, at, batch.lengths[i] ?? 0) < 0) failed++;
      else written++;
      pool.giveBack(slot);
    }
    counters[Counter.Written] = (counters[Counter.Written] ?? 0) + written;
    counters[Counter.WriteErrors] = (counters[Counter.WriteErrors] ?? 0) + failed;
  }
}
