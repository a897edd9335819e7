import type { Endpoint } from "@fz/wireguard";

/** Where datagrams go out and come in; the driver queues sends and flushes once per batch. */
export interface UdpTransport {
  readonly port: number;
  /** Queues a datagram; its bytes must stay untouched until `flush()`. */
  queue(datagram: Uint8Array, to: Endpoint): void;
  /** Sends everything queued (one sendmmsg). */
  flush(): void;
  close(): void;
}

export type DatagramHandler = (datagram: Uint8Array, from: Endpoint) => void;

/**
 * A dual-stack UDP socket (bound to `::`, so IPv4 peers arrive as v4-mapped addresses, which
 * are reported in plain dotted form) on Bun's event loop. Sends are batched with `sendMany`.
 */
export async function openBunUdp(port: number, onDatagram: DatagramHandler): Promise<UdpTransport> {
  const pending: (Uint8Array | number | string)[] = [];
  const socket = await Bun.udpSocket({
    hostname: "::",
    port,
    socket: {
      data(_socket, data, fromPort, fromAddress) {
        onDatagram(data, { address: unmapV4(fromAddress), port: fromPort });
      },
    },
  });
  return {
    port: socket.port,
    queue(datagram, to) {
      pending.push(datagram, to.port, to.address);
    },
    flush() {
      if (pending.length === 0) return;
      socket.sendMany(pending);
      pending.length = 0;
    },
    close() {
      socket.close();
    },
  };
}

/** `::ffff:198.18.1.2` becomes `198.18.1.2`, so an endpoint has one spelling. */
export function unmapV4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
