/**
 * How one side of a UDP benchmark case moves datagrams: Bun.udpSocket (`bun-gso`: UDP_SEGMENT
 * set on its fd, each sendMany entry a copy of up to 49 datagrams into one buffer), or
 * UdpPacketIo (`ffi-gso`: with its zero-copy GSO).
 */
export type PeerImpl = "bun" | "bun-gso" | "ffi" | "ffi-gso";

/** What `udp.bench.ts` passes to `udp-peer.ts` as its one argument, as JSON. */
export interface PeerJob {
  readonly role: "send" | "receive";
  readonly impl: PeerImpl;
  /** Local address to bind. */
  readonly bind: string;
  /** Where a sender sends; unused by a receiver. */
  readonly target: string;
  readonly targetPort: number;
  readonly datagramBytes: number;
  readonly batchSize: number;
}

/** Lines the peer prints on stdout, one JSON object each. */
export type PeerReport =
  | { readonly kind: "ready"; readonly port: number }
  | {
      readonly kind: "mark";
      /** Datagrams sent by the application, or received by it, so far. */
      readonly packets: number;
      readonly bytes: number;
      readonly ns: number;
      /** process.cpuUsage(): every thread of the process, in microseconds. */
      readonly userUs: number;
      readonly systemUs: number;
    }
  | { readonly kind: "stopped"; readonly stats: Record<string, number> };

/** Lines the bench writes on the peer's stdin. */
export type PeerCommand = "mark" | "stop";
