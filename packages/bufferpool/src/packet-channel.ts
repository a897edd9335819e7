import { AtomicRing, type RingShape } from "./atomic-ring.ts";
import { IncompatibleBufferError } from "./errors.ts";
import { requireIntegerInRange } from "./options.ts";

/** One packet handed between threads: which pool slot, how many bytes, and a word for the user. */
export interface PacketDescriptor {
  readonly slot: number;
  readonly length: number;
  readonly meta: number;
}

/** Descriptors in columns, reused from batch to batch so that moving packets allocates nothing. */
export class DescriptorBatch {
  readonly slots: Int32Array;
  readonly lengths: Int32Array;
  readonly metas: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.slots = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.metas = new Int32Array(capacity);
  }

  get capacity(): number {
    return this.slots.length;
  }

  /** Appends a descriptor; returns false when the batch is full. */
  add(slot: number, length: number, meta = 0): boolean {
    const index = this.count;
    if (index >= this.slots.length) return false;
    this.slots[index] = slot;
    this.lengths[index] = length;
    this.metas[index] = meta;
    this.count = index + 1;
    return true;
  }
}

export type WaitResult = "ready" | "timed-out" | "closed";

const MAGIC = 0x465a4343; // "FZCC"
const LAYOUT_VERSION = 1;
const DESCRIPTOR_WORDS = 3;

/** Descriptors move in batches, so cells are packed: a batch fills whole cache lines. */
function descriptorRingShape(capacity: number): RingShape {
  return { capacity, payloadWords: DESCRIPTOR_WORDS, padded: false };
}
/** Word indexes of the header; the wake-up words sit on the second cache line, the ring after. */
const Header = {
  Magic: 0,
  Version: 1,
  Capacity: 2,
  Event: 16,
  Waiters: 17,
  Closed: 18,
  RingBase: 32,
} as const;

/**
 * A bounded lock-free channel of packet descriptors between threads (any number of producers
 * and consumers), so packets move as slot numbers and never as copies. Push and pop never wait;
 * a full channel refuses the push and the producer decides, like an exhausted pool.
 *
 * An idle consumer may block off the hot path: `wait` (Workers) or `waitAsync` (the event loop).
 * Producers wake it with one notify per batch, and only when someone waits.
 *
 * Hand it to a Worker by posting `channel.buffer` and calling `PacketChannel.attach`. Each thread
 * uses its own `PacketChannel` object.
 */
export class PacketChannel {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;

  readonly #words: Int32Array;
  readonly #ring: AtomicRing;

  /** Makes a channel that holds at least `capacity` descriptors (rounded up to a power of two). */
  static create(capacity: number): PacketChannel {
    requireIntegerInRange("capacity", capacity, 1, 1 << 24);
    const ring = descriptorRingShape(AtomicRing.capacityFor(capacity));
    const wordCount = Header.RingBase + AtomicRing.wordsNeeded(ring);
    const buffer = new SharedArrayBuffer(wordCount * 4);
    const words = new Int32Array(buffer);
    words[Header.Version] = LAYOUT_VERSION;
    words[Header.Capacity] = ring.capacity;
    AtomicRing.initialize(words, Header.RingBase, ring);
    Atomics.store(words, Header.Magic, MAGIC);
    return new PacketChannel(buffer);
  }

  /** Opens, in this thread, a channel that another thread made with `create`. */
  static attach(buffer: SharedArrayBuffer): PacketChannel {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Header.RingBase * 4) {
      throw new IncompatibleBufferError("PacketChannel");
    }
    const words = new Int32Array(buffer);
    if (Atomics.load(words, Header.Magic) !== MAGIC || words[Header.Version] !== LAYOUT_VERSION) {
      throw new IncompatibleBufferError("PacketChannel");
    }
    return new PacketChannel(buffer);
  }

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#words = new Int32Array(buffer);
    this.capacity = this.#words[Header.Capacity] ?? 0;
    this.#ring = new AtomicRing(this.#words, Header.RingBase, descriptorRingShape(this.capacity));
  }

  /** Pushes one descriptor; returns false when the channel is full or closed. */
  push(slot: number, length: number, meta = 0): boolean {
    if (this.closed) return false;
    const ring = this.#ring;
    if (ring.claimPush(1) === 0) return false;
    const position = ring.claimedPos;
    const at = ring.payloadIndex(position);
    const words = this.#words;
    words[at] = slot;
    words[at + 1] = length;
    words[at + 2] = meta;
    ring.publishPush(position, 1);
    this.#wakeWaiters();
    return true;
  }

  /**
   * Pushes the batch's descriptors from `start` on, as many as fit, and returns how many went.
   * The caller still owns the slots of those that did not.
   */
  pushBatch(batch: DescriptorBatch, start = 0): number {
    if (this.closed) return 0;
    const ring = this.#ring;
    const words = this.#words;
    let pushed = 0;
    const wanted = batch.count - start;
    while (pushed < wanted) {
      const count = ring.claimPush(wanted - pushed);
      if (count === 0) break;
      const position = ring.claimedPos;
      for (let i = 0; i < count; i++) {
        const at = ring.payloadIndex((position + i) | 0);
        const from = start + pushed + i;
        words[at] = batch.slots[from] ?? 0;
        words[at + 1] = batch.lengths[from] ?? 0;
        words[at + 2] = batch.metas[from] ?? 0;
      }
      ring.publishPush(position, count);
      pushed += count;
    }
    if (pushed > 0) this.#wakeWaiters();
    return pushed;
  }

  /** Pops one descriptor, or `undefined` when empty. Allocates; the hot path uses `popBatch`. */
  pop(): PacketDescriptor | undefined {
    const ring = this.#ring;
    if (ring.claimPop(1) === 0) return undefined;
    const position = ring.claimedPos;
    const at = ring.payloadIndex(position);
    const words = this.#words;
    const descriptor = {
      slot: words[at] ?? 0,
      length: words[at + 1] ?? 0,
      meta: words[at + 2] ?? 0,
    };
    ring.releasePop(position, 1);
    return descriptor;
  }

  /** Replaces the batch's contents with up to `max` descriptors and returns how many. */
  popBatch(batch: DescriptorBatch, max: number = batch.capacity): number {
    const ring = this.#ring;
    const words = this.#words;
    const wanted = Math.min(max, batch.capacity);
    let popped = 0;
    while (popped < wanted) {
      const count = ring.claimPop(wanted - popped);
      if (count === 0) break;
      const position = ring.claimedPos;
      for (let i = 0; i < count; i++) {
        const at = ring.payloadIndex((position + i) | 0);
        batch.slots[popped + i] = words[at] ?? 0;
        batch.lengths[popped + i] = words[at + 1] ?? 0;
        batch.metas[popped + i] = words[at + 2] ?? 0;
      }
      ring.releasePop(position, count);
      popped += count;
    }
    batch.count = popped;
    return popped;
  }

  /** Descriptors waiting; exact only when no thread is pushing or popping. */
  get length(): number {
    return this.#ring.length;
  }

  get closed(): boolean {
    return Atomics.load(this.#words, Header.Closed) !== 0;
  }

  /** Refuses further pushes and wakes every waiter; what is queued can still be popped. */
  close(): void {
    Atomics.store(this.#words, Header.Closed, 1);
    Atomics.add(this.#words, Header.Event, 1);
    Atomics.notify(this.#words, Header.Event);
  }

  /**
   * Blocks this thread until the channel has a descriptor, is closed, or `timeoutMs` passes.
   * For Workers; the event-loop thread uses `waitAsync`.
   */
  wait(timeoutMs = Number.POSITIVE_INFINITY): WaitResult {
    const words = this.#words;
    Atomics.add(words, Header.Waiters, 1);
    try {
      const event = Atomics.load(words, Header.Event);
      const ready = this.#readiness();
      if (ready !== undefined) return ready;
      Atomics.wait(words, Header.Event, event, timeoutMs);
      return this.#readiness() ?? "timed-out";
    } finally {
      Atomics.sub(words, Header.Waiters, 1);
    }
  }

  /** Resolves when the channel has a descriptor, is closed, or `timeoutMs` passes. */
  async waitAsync(timeoutMs = Number.POSITIVE_INFINITY): Promise<WaitResult> {
    const words = this.#words;
    Atomics.add(words, Header.Waiters, 1);
    try {
      const event = Atomics.load(words, Header.Event);
      const ready = this.#readiness();
      if (ready !== undefined) return ready;
      const waiting = Atomics.waitAsync(words, Header.Event, event, timeoutMs);
      if (waiting.async) await waiting.value;
      return this.#readiness() ?? "timed-out";
    } finally {
      Atomics.sub(words, Header.Waiters, 1);
    }
  }

  #readiness(): WaitResult | undefined {
    if (!this.#ring.isEmpty()) return "ready";
    if (this.closed) return "closed";
    return undefined;
  }

  #wakeWaiters(): void {
    if (Atomics.load(this.#words, Header.Waiters) === 0) return;
    Atomics.add(this.#words, Header.Event, 1);
    Atomics.notify(this.#words, Header.Event);
  }
}
