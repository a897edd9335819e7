import { AtomicRing } from "./atomic-ring.ts";
import { IncompatibleBufferError, InvalidSlotError, SlotNotTakenError } from "./errors.ts";
import { alignUp, CACHE_LINE_BYTES, WORDS_PER_LINE } from "./layout.ts";
import { requireIntegerInRange } from "./options.ts";

/** Largest UDP payload the tunnel sends: a 1280-byte packet plus WireGuard's 32 bytes, plus 4. */
export const MAX_DATAGRAM_BYTES = 1316;
/** Room before the packet for headers prepended in place (WireGuard's 16, virtio-net's 12). */
export const DEFAULT_HEADROOM_BYTES = 64;
export const DEFAULT_SLOT_COUNT = 4096;

export interface BufferPoolOptions {
  /** Number of slots; the pool never grows. Default 4096. */
  readonly slotCount?: number;
  /** Bytes a slot holds after its headroom. Default 1316 (`MAX_DATAGRAM_BYTES`). */
  readonly slotCapacity?: number;
  /** Bytes reserved before the data of each slot. Default 64. */
  readonly headroom?: number;
}

export interface BufferPoolStats {
  readonly slotCount: number;
  /** Slots taken and not yet given back. */
  readonly inUse: number;
  /** Most slots ever in use at once. */
  readonly highWater: number;
  /** Takes that found no free slot (a batch take counts once). */
  readonly exhausted: number;
}

const MAGIC = 0x465a4250; // "FZBP"
const LAYOUT_VERSION = 1;
/** Word indexes of the header; the counters sit on the second cache line, the ring after. */
const Header = {
  Magic: 0,
  Version: 1,
  SlotCount: 2,
  SlotSize: 3,
  Headroom: 4,
  RingCapacity: 5,
  OwnerIndex: 6,
  DataOffset: 7,
  SlotCapacity: 8,
  HighWater: 16,
  Exhausted: 17,
  RingBase: 32,
} as const;
const FREE = 0;
const TAKEN = 1;

/**
 * Firezone's lock-free buffer pool, for Workers: fixed-size packet slots in one
 * SharedArrayBuffer, with the free slots in a lock-free queue (`AtomicRing`). A take claims the
 * front, a give-back publishes at the back, so taking and giving back threads never contend for
 * a lock and never wait.
 *
 * A slot is a number. Its bytes are `bytes(slot)`: headroom first, then `slotCapacity` bytes of
 * data. Hand the pool to a Worker by posting `pool.buffer` and calling `BufferPool.attach`.
 *
 * Exhaustion has one policy: `take` returns `undefined`, the `exhausted` counter rises and the
 * caller decides (drop, or back off); the pool never falls back to the heap. Every slot's owner
 * state is tracked, so giving back a slot that is not taken throws `SlotNotTakenError`.
 *
 * Each thread uses its own `BufferPool` object; objects are unsafe for concurrent use, the
 * shared memory under them is made for it.
 */
export class BufferPool {
  readonly buffer: SharedArrayBuffer;
  readonly slotCount: number;
  /** Bytes from one slot's start to the next: headroom + capacity, rounded to a cache line. */
  readonly slotSize: number;
  readonly headroom: number;
  /** Bytes of data a slot holds after its headroom. */
  readonly slotCapacity: number;

  readonly #words: Int32Array;
  readonly #free: AtomicRing;
  readonly #ownerIndex: number;
  readonly #dataOffset: number;
  readonly #views: (Uint8Array | undefined)[];

  static create(options: BufferPoolOptions = {}): BufferPool {
    const slotCount = requireIntegerInRange(
      "slotCount",
      options.slotCount ?? DEFAULT_SLOT_COUNT,
      1,
      1 << 20,
    );
    const slotCapacity = requireIntegerInRange(
      "slotCapacity",
      options.slotCapacity ?? MAX_DATAGRAM_BYTES,
      1,
      1 << 20,
    );
    const headroom = requireIntegerInRange(
      "headroom",
      options.headroom ?? DEFAULT_HEADROOM_BYTES,
      0,
      1 << 16,
    );
    const slotSize = alignUp(headroom + slotCapacity, CACHE_LINE_BYTES);
    const ringCapacity = AtomicRing.capacityFor(slotCount);
    const ownerIndex = alignUp(
      Header.RingBase + AtomicRing.wordsNeeded(ringCapacity, 1),
      WORDS_PER_LINE,
    );
    const dataOffset = alignUp((ownerIndex + slotCount) * 4, CACHE_LINE_BYTES);

    const buffer = new SharedArrayBuffer(dataOffset + slotCount * slotSize);
    const words = new Int32Array(buffer, 0, dataOffset / 4);
    words[Header.Version] = LAYOUT_VERSION;
    words[Header.SlotCount] = slotCount;
    words[Header.SlotSize] = slotSize;
    words[Header.Headroom] = headroom;
    words[Header.RingCapacity] = ringCapacity;
    words[Header.OwnerIndex] = ownerIndex;
    words[Header.DataOffset] = dataOffset;
    words[Header.SlotCapacity] = slotCapacity;
    AtomicRing.initialize(words, Header.RingBase, ringCapacity, 1);
    const free = new AtomicRing(words, Header.RingBase, ringCapacity, 1);
    free.claimPush(slotCount);
    for (let slot = 0; slot < slotCount; slot++) words[free.payloadIndex(slot)] = slot;
    free.publishPush(0, slotCount);
    Atomics.store(words, Header.Magic, MAGIC);
    return new BufferPool(buffer, words);
  }

  /** Opens, in this thread, a pool that another thread made with `create`. */
  static attach(buffer: SharedArrayBuffer): BufferPool {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Header.RingBase * 4) {
      throw new IncompatibleBufferError("BufferPool");
    }
    const header = new Int32Array(buffer, 0, Header.RingBase);
    if (Atomics.load(header, Header.Magic) !== MAGIC || header[Header.Version] !== LAYOUT_VERSION) {
      throw new IncompatibleBufferError("BufferPool");
    }
    const dataOffset = header[Header.DataOffset] ?? 0;
    return new BufferPool(buffer, new Int32Array(buffer, 0, dataOffset / 4));
  }

  private constructor(buffer: SharedArrayBuffer, words: Int32Array) {
    this.buffer = buffer;
    this.#words = words;
    this.slotCount = words[Header.SlotCount] ?? 0;
    this.slotSize = words[Header.SlotSize] ?? 0;
    this.headroom = words[Header.Headroom] ?? 0;
    this.slotCapacity = words[Header.SlotCapacity] ?? 0;
    this.#ownerIndex = words[Header.OwnerIndex] ?? 0;
    this.#dataOffset = words[Header.DataOffset] ?? 0;
    this.#free = new AtomicRing(words, Header.RingBase, words[Header.RingCapacity] ?? 0, 1);
    this.#views = new Array<Uint8Array | undefined>(this.slotCount).fill(undefined);
  }

  /** Takes a free slot from the front of the queue, or returns `undefined` when none is free. */
  take(): number | undefined {
    const free = this.#free;
    if (free.claimPop(1) === 0) {
      Atomics.add(this.#words, Header.Exhausted, 1);
      return undefined;
    }
    const position = free.claimedPos;
    const slot = this.#words[free.payloadIndex(position)] ?? 0;
    free.releasePop(position, 1);
    Atomics.store(this.#words, this.#ownerIndex + slot, TAKEN);
    this.#recordInUse((position + 1) | 0);
    return slot;
  }

  /**
   * Takes up to `max` free slots into `into` and returns how many it took. Fewer than asked
   * means the pool ran out, and counts once as exhausted.
   */
  takeBatch(into: Int32Array, max: number = into.length): number {
    const free = this.#free;
    const words = this.#words;
    const wanted = Math.min(max, into.length);
    let taken = 0;
    while (taken < wanted) {
      const count = free.claimPop(wanted - taken);
      if (count === 0) break;
      const position = free.claimedPos;
      for (let i = 0; i < count; i++) {
        const slot = words[free.payloadIndex((position + i) | 0)] ?? 0;
        into[taken + i] = slot;
        Atomics.store(words, this.#ownerIndex + slot, TAKEN);
      }
      free.releasePop(position, count);
      taken += count;
      this.#recordInUse((position + count) | 0);
    }
    if (taken < wanted) Atomics.add(words, Header.Exhausted, 1);
    return taken;
  }

  /** Gives a taken slot back at the end of the queue. Throws if the slot is not taken. */
  giveBack(slot: number): void {
    const failure = this.#release(slot);
    if (failure !== undefined) throw failure;
    this.#pushFree(slot);
  }

  /**
   * Gives back `count` slots from `slots`. If one is not taken, every other one still goes back
   * and the first error is thrown afterwards.
   */
  giveBackBatch(slots: Int32Array, count: number = slots.length): void {
    for (let i = 0; i < count; i++) {
      const failure = this.#release(slots[i] ?? -1);
      if (failure !== undefined) this.#giveBackAfterFailure(slots, count, i, failure);
    }
    this.#pushFreeBatch(slots, count);
  }

  /** The whole slot (headroom, then data) as a view into the shared buffer; no copy. */
  bytes(slot: number): Uint8Array {
    return this.#views[slot] ?? this.#makeView(slot);
  }

  /** Byte offset of a slot's start in `buffer`, for callers that keep one view of everything. */
  offsetOf(slot: number): number {
    return this.#dataOffset + slot * this.slotSize;
  }

  stats(): BufferPoolStats {
    return {
      slotCount: this.slotCount,
      inUse: this.slotCount - this.#free.length,
      highWater: Atomics.load(this.#words, Header.HighWater),
      exhausted: Atomics.load(this.#words, Header.Exhausted),
    };
  }

  /** Marks a taken slot free; returns the error instead when it is not a taken slot. */
  #release(slot: number): InvalidSlotError | SlotNotTakenError | undefined {
    if (!this.#isSlot(slot)) return new InvalidSlotError(slot, this.slotCount);
    if (Atomics.compareExchange(this.#words, this.#ownerIndex + slot, TAKEN, FREE) !== TAKEN) {
      return new SlotNotTakenError(slot);
    }
    return undefined;
  }

  #giveBackAfterFailure(slots: Int32Array, count: number, failed: number, failure: Error): never {
    const released = Array.from(slots.subarray(0, failed));
    for (let i = failed + 1; i < count; i++) {
      const slot = slots[i] ?? -1;
      if (this.#release(slot) === undefined) released.push(slot);
    }
    this.#pushFreeBatch(Int32Array.from(released), released.length);
    throw failure;
  }

  #isSlot(slot: number): boolean {
    return slot >>> 0 === slot && slot < this.slotCount;
  }

  #pushFree(slot: number): void {
    const free = this.#free;
    if (free.claimPush(1) === 0)
      throw new Error("free list is full: the pool's memory was corrupted");
    const position = free.claimedPos;
    this.#words[free.payloadIndex(position)] = slot;
    free.publishPush(position, 1);
  }

  #pushFreeBatch(slots: Int32Array, count: number): void {
    const free = this.#free;
    let done = 0;
    while (done < count) {
      const claimed = free.claimPush(count - done);
      if (claimed === 0) throw new Error("free list is full: the pool's memory was corrupted");
      const position = free.claimedPos;
      for (let i = 0; i < claimed; i++) {
        this.#words[free.payloadIndex((position + i) | 0)] = slots[done + i] ?? 0;
      }
      free.publishPush(position, claimed);
      done += claimed;
    }
  }

  /** `head` is the free list's head just after a take; the tail is read now. */
  #recordInUse(head: number): void {
    const inUse = this.slotCount - ((this.#free.tailPosition() - head) | 0);
    let highWater = Atomics.load(this.#words, Header.HighWater);
    while (inUse > highWater) {
      const seen = Atomics.compareExchange(this.#words, Header.HighWater, highWater, inUse);
      if (seen === highWater) return;
      highWater = seen;
    }
  }

  #makeView(slot: number): Uint8Array {
    if (!this.#isSlot(slot)) throw new InvalidSlotError(slot, this.slotCount);
    const view = new Uint8Array(this.buffer, this.offsetOf(slot), this.slotSize);
    this.#views[slot] = view;
    return view;
  }
}
