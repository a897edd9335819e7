import type { PeerStatus, ResolveRequest, TunnelEvent } from "@fz/tunnel";
import type { CoreSpec, ResolvedAddresses } from "./tunnel-core.ts";

/** The data-plane Worker's start message: the core to build and the descriptors it owns. */
export interface DataPlaneInit {
  readonly core: CoreSpec;
  readonly tunFd: number;
  readonly udpFd: number;
  /** The socket for forwarded DNS queries (the client), or -1. */
  readonly dnsFd: number;
  /** Readable when the main thread has posted a command on `control`. */
  readonly wakeFd: number;
  readonly control: MessagePort;
  readonly gso: boolean;
  /** The TUN device puts a virtio_net_hdr before each packet (offloads on). */
  readonly tunVnetHeader: boolean;
}

/** Main thread to Worker, on the control port (each followed by a wake-up). */
export type DataPlaneCommand =
  | { readonly type: "resolved"; readonly id: number; readonly addresses: ResolvedAddresses }
  | { readonly type: "ask"; readonly id: number; readonly question: keyof DataPlaneAnswers }
  | { readonly type: "stop" };

/** What the main thread may ask the Worker, and the answers' types. */
export interface DataPlaneAnswers {
  /** The data plane's and the core's counters. */
  readonly stats: Record<string, unknown>;
  /** Each peer as `wg show` describes it. */
  readonly peers: readonly PeerStatus[];
}

/** Worker to main thread. */
export type DataPlaneReport =
  | {
      readonly type: "ready";
      readonly aead: string;
      readonly aeadFallback?: string;
      readonly info: Record<string, unknown>;
    }
  | { readonly type: "event"; readonly event: TunnelEvent }
  | { readonly type: "resolve"; readonly request: ResolveRequest }
  | { readonly type: "answer"; readonly id: number; readonly answer: unknown }
  | { readonly type: "stopped" }
  | { readonly type: "failed"; readonly message: string; readonly stack?: string };

/** What the data plane counts, besides the core's own counters. */
export interface DataPlaneStats {
  readonly tunPackets: number;
  readonly datagrams: number;
  readonly sent: number;
  readonly sendCalls: number;
  readonly sendErrors: number;
  readonly gsoMessages: number;
  readonly gsoFallbacks: number;
  /** Datagrams larger than a slot, and those from no IP address. */
  readonly droppedDatagrams: number;
  readonly tunReadErrors: number;
  /** TUN reads we could not take (a bad virtio header or super-packet), and segments too big for a slot. */
  readonly tunMalformed: number;
  /** TUN reads that were TCP super-packets, cut into segments here (TSO). */
  readonly tunSuperPackets: number;
  /** With offloads: TUN writes of opened packets, and the packets merged into super-packets. */
  readonly tunMergedWrites: number;
  readonly tunMergedPackets: number;
  /** Packets the TUN device refused. */
  readonly tunWriteErrors: number;
  readonly receiveErrors: number;
  readonly dnsQueries: number;
  readonly dnsResponses: number;
  readonly lookups: number;
  readonly lookupFailures: number;
  readonly wakeups: number;
  /** Packets and datagrams the core threw on: dropped and counted. */
  readonly coreErrors: number;
}
