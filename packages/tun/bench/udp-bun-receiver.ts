/**
 * The Bun.udpSocket receiver of udp-peer.ts, on a Worker of its own: under a flood Bun's event
 * loop can keep serving the socket and not get to stdin, so the peer's main thread, which
 * answers the bench's "mark", reads this Worker's counters from shared memory instead.
 */
import { BufferPool } from "@fz/bufferpool";
import {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  setSocketBufferSizes,
} from "@fz/tun";

declare const self: Worker;

export interface BunReceiverInit {
  readonly bind: string;
  readonly pool: SharedArrayBuffer;
  /** Float64 [packets, bytes], written by this Worker only. */
  readonly counts: SharedArrayBuffer;
}

self.onmessage = async (event: MessageEvent<BunReceiverInit>) => {
  const pool = BufferPool.attach(event.data.pool);
  const counts = new Float64Array(event.data.counts);
  const socket = await Bun.udpSocket({
    hostname: event.data.bind,
    port: 0,
    socket: {
      data(_socket, data) {
        const slot = pool.take();
        if (slot === undefined) return;
        pool.bytes(slot).set(data, pool.headroom);
        counts[0] = (counts[0] ?? 0) + 1;
        counts[1] = (counts[1] ?? 0) + data.length;
        pool.giveBack(slot);
      },
    },
  });
  const fd = (socket as { fd?: unknown }).fd;
  if (typeof fd !== "number") throw new Error("this Bun's UDP socket has no fd");
  setSocketBufferSizes(fd, {
    receiveBufferBytes: DEFAULT_RECEIVE_BUFFER_BYTES,
    sendBufferBytes: DEFAULT_SEND_BUFFER_BYTES,
  });
  self.postMessage(socket.port);
};
