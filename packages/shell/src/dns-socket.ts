import { ptr } from "bun:ffi";
import { DatagramReceiver, DatagramSender, SOCKET_ADDRESS_BYTES } from "@fz/tun";
import type { Endpoint } from "@fz/wireguard";
import { EndpointRecords } from "./endpoint-records.ts";

/** Forwarded DNS responses per receive, and the most bytes one may have (EDNS0's usual 4096). */
const DNS_BATCH = 8;
const DNS_RESPONSE_BYTES = 4096;

/** The client's socket for forwarded DNS queries, outside the tunnel. */
export class DnsSocket {
  queries = 0;
  responses = 0;
  readonly #sender: DatagramSender;
  readonly #receiver: DatagramReceiver;
  readonly #peers = new EndpointRecords({ capacity: 64 });
  // Read through a pointer taken once: backed by an ArrayBuffer, so its memory never moves.
  readonly #buffer = new Uint8Array(
    new ArrayBuffer(DNS_BATCH * (SOCKET_ADDRESS_BYTES + DNS_RESPONSE_BYTES)),
  );
  readonly #words = new Int32Array(this.#buffer.buffer);

  constructor(fd: number) {
    this.#sender = new DatagramSender(fd, 1, false);
    this.#receiver = new DatagramReceiver(fd, DNS_BATCH);
    const base = ptr(this.#buffer);
    for (let i = 0; i < DNS_BATCH; i++) {
      const record = base + i * SOCKET_ADDRESS_BYTES;
      const data = base + DNS_BATCH * SOCKET_ADDRESS_BYTES + i * DNS_RESPONSE_BYTES;
      this.#receiver.arm(i, record, data, DNS_RESPONSE_BYTES);
    }
  }

  send(query: Uint8Array, upstream: Endpoint): void {
    // Each query is sent at once, so nothing queued points at a record when the book starts over.
    const index = this.#peers.recordFor(upstream);
    if (index < 0) return;
    this.queries++;
    this.#sender.add(ptr(query), query.length, this.#peers.pointer(index), index);
    this.#sender.flush();
  }

  receive(onResponse: (upstream: Endpoint, response: Uint8Array) => void): void {
    const count = this.#receiver.receive();
    for (let i = 0; i < count; i++) {
      const length = this.#receiver.length(i);
      if (length < 0) continue;
      const record = (i * SOCKET_ADDRESS_BYTES) >> 2;
      const upstream = this.#peers.endpointOf(this.#buffer, this.#words, record);
      if (upstream === undefined) continue;
      this.responses++;
      const at = DNS_BATCH * SOCKET_ADDRESS_BYTES + i * DNS_RESPONSE_BYTES;
      onResponse(upstream, this.#buffer.slice(at, at + length));
    }
  }
}
