/** What `UdpPacketIo` posts to each of its Workers; they answer with an `IoWorkerMessage`. */
export interface UdpWorkerInit {
  readonly role: "receiver" | "sender";
  readonly fd: number;
  /** 6 for an AF_INET6 (dual-stack) socket, whose IPv4 sources the receiver rewrites as IPv4. */
  readonly family: 4 | 6;
  /** Read end of a pipe whose readability tells the receiver to stop. */
  readonly wakeFd: number;
  readonly pool: SharedArrayBuffer;
  readonly channel: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly batchSize: number;
  readonly gso: boolean;
}

/** Float64 slots of the shared counters; each is written by one Worker only. */
export const UdpCounter = {
  Received: 0,
  ReceivedBytes: 1,
  ReceiveCalls: 2,
  DroppedNoSlot: 3,
  DroppedChannelFull: 4,
  DroppedTooLarge: 5,
  ReceiveErrors: 6,
  Sent: 7,
  SentBytes: 8,
  SendCalls: 9,
  SendErrors: 10,
  GsoFallbacks: 11,
  GsoMessages: 12,
} as const;
export const UDP_COUNTER_COUNT = 13;
