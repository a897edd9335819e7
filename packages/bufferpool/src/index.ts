export { AtomicRing, EMPTY, type RingShape } from "./atomic-ring.ts";
export {
  BufferPool,
  type BufferPoolOptions,
  type BufferPoolStats,
  DEFAULT_HEADROOM_BYTES,
  DEFAULT_SHARD_COUNT,
  DEFAULT_SLOT_COUNT,
  HIGH_WATER_REFRESH_TAKES,
  MAX_DATAGRAM_BYTES,
} from "./buffer-pool.ts";
export {
  IncompatibleBufferError,
  InvalidOptionsError,
  InvalidSlotError,
  SlotNotTakenError,
} from "./errors.ts";
export { CACHE_LINE_BYTES } from "./layout.ts";
export {
  DescriptorBatch,
  PacketChannel,
  type PacketDescriptor,
  type WaitResult,
} from "./packet-channel.ts";
