import { AtomicRing, EMPTY, type RingShape } from "./atomic-ring.ts";
import { IncompatibleBufferError, InvalidSlotError, SlotNotTakenError } from "./errors.ts";
import { alignUp, CACHE_LINE_BYTES, WORDS_PER_LINE } from "./layout.ts";
import { requireIntegerInRange } from "./options.ts";

/** Largest UDP payload the tunnel sends: a 1280-byte packet plus WireGuard's 32 bytes, plus 4. */
export const MAX_DATAGRAM_BYTES = 1316;
/** Room before the packet for headers prepended in place (WireGuard's 16, virtio-net's 12). */
export const DEFAULT_HEADROOM_BYTES = 64;
export const DEFAULT_SLOT_COUNT = 4096;
export const DEFAULT_SHARD_COUNT = 4;

export interface BufferPoolOptions {
  /** Number of slots; the pool never grows. Default 4096. */
  readonly slotCount?: number;
  /** Bytes a slot holds after its headroom. Default 1316 (`MAX_DATAGRAM_BYTES`). */
  readonly slotCapacity?: number;
  /** Bytes reserved before the data of each slot. Default 64. */
  readonly headroom?: number;
  /**
   * Free-list rings; each thread's handle has a home ring, so threads that both take and give
   * back do not fight over one head and one tail. Default 4; 1 gives a single FIFO.
   */
  readonly shards?: number;
}

export interface BufferPoolStats {
  readonly slotCount: number;
  /** Slots taken and not yet given back. */
  readonly inUse: number;
  /**
   * Most slots in use at once, as seen by takes. Exact for one thread; with several it may lag
   * by what other threads did within a taker's last `HIGH_WATER_REFRESH_TAKES` takes.
   */
  readonly highWater: number;
  /** Takes that found no free slot in any ring (a batch take counts once). */
  readonly exhausted: number;
}

/** How many takes a handle goes between fresh looks at the other rings for the high-water mark. */
export const HIGH_WATER_REFRESH_TAKES = 64;

const MAGIC = 0x465a4250; // "FZBP"
const LAYOUT_VERSION = 2;
/** Word indexes of the header: geometry on the first cache line, shared counters on the next. */
const Header = {
  Magic: 0,
  Version: 1,
  SlotCount: 2,
  SlotSize: 3,
  Headroom: 4,
  SlotCapacity: 5,
  ShardCount: 6,
  RingCapacity: 7,
  RingStride: 8,
  OwnerIndex: 9,
  DataOffset: 10,
  HighWater: 16,
  Exhausted: 17,
  NextHandle: 18,
  RingsBase: 32,
} as const;
const FREE = 0;
const TAKEN = 1;

function freeListShape(capacity: number): RingShape {
  return { capacity, payloadWords: 1, padded: false };
}

/**
 * Firezone's lock-free buffer pool, for Workers: fixed-size packet slots in one
 * SharedArrayBuffer, free slots in lock-free queues (`AtomicRing`, a sequence-numbered ring as
 * crossbeam's ArrayQueue). A take claims a slot at the front of a ring, a give-back publishes it
 * at the back: no lock, no wait, threads never contend for a lock.
 *
 * The free list is a few rings (`shards`). Each handle (one per thread) has a home ring: it
 * takes from the front of it and gives back at its back, and only when the home ring is empty
 * takes from the others. Threads that both take and give back then touch their own ring's
 * cache lines, not one head and one tail shared by all.
 *
 * A slot is a number. Its bytes are `bytes(slot)`: headroom first, then `slotCapacity` bytes of
 * data. Hand the pool to a Worker by posting `pool.buffer` and calling `BufferPool.attach`.
 *
 * Exhaustion has one policy: when no ring has a free slot, `take` returns `undefined`, the
 * `exhausted` counter rises and the caller decides (drop, or back off); the pool never falls
 * back to the heap. Every slot's owner state is tracked, so giving back a slot that is not taken
 * throws `SlotNotTakenError`.
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
  readonly #rings: readonly AtomicRing[];
  readonly #home: AtomicRing;
  readonly #homeIndex: number;
  readonly #ownerIndex: number;
  readonly #dataOffset: number;
  readonly #views: (Uint8Array | undefined)[];
  /** Free slots in the other rings when this handle last looked. */
  #othersFree = 0;
  #takesUntilRefresh = 0;

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
    const shardCount = requireIntegerInRange(
      "shards",
      options.shards ?? DEFAULT_SHARD_COUNT,
      1,
      64,
    );
    const slotSize = alignUp(headroom + slotCapacity, CACHE_LINE_BYTES);
    // Any ring may come to hold every slot, since a thread gives back to its own.
    const ring = freeListShape(AtomicRing.capacityFor(slotCount));
    const ringStride = alignUp(AtomicRing.wordsNeeded(ring), WORDS_PER_LINE);
    const ownerIndex = Header.RingsBase + shardCount * ringStride;
    const dataOffset = alignUp((ownerIndex + slotCount) * 4, CACHE_LINE_BYTES);

    const buffer = new SharedArrayBuffer(dataOffset + slotCount * slotSize);
    const words = new Int32Array(buffer, 0, dataOffset / 4);
    words[Header.Version] = LAYOUT_VERSION;
    words[Header.SlotCount] = slotCount;
    words[Header.SlotSize] = slotSize;
    words[Header.Headroom] = headroom;
    words[Header.SlotCapacity] = slotCapacity;
    words[Header.ShardCount] = shardCount;
    words[Header.RingCapacity] = ring.capacity;
    words[Header.RingStride] = ringStride;
    words[Header.OwnerIndex] = ownerIndex;
    words[Header.DataOffset] = dataOffset;
    // Each ring starts with a contiguous block, so a thread's slots sit next to each other.
    for (let shard = 0; shard < shardCount; shard++) {
      const base = Header.RingsBase + shard * ringStride;
      AtomicRing.initialize(words, base, ring);
      const free = new AtomicRing(words, base, ring);
      const first = Math.floor((shard * slotCount) / shardCount);
      const end = Math.floor(((shard + 1) * slotCount) / shardCount);
      for (let slot = first; slot < end; slot++) free.pushWord(slot);
    }
    Atomics.store(words, Header.Magic, MAGIC);
    return new BufferPool(buffer, words);
  }

  /** Opens, in this thread, a pool that another thread made with `create`. */
  static attach(buffer: SharedArrayBuffer): BufferPool {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Header.RingsBase * 4) {
      throw new IncompatibleBufferError("BufferPool");
    }
    const header = new Int32Array(buffer, 0, Header.RingsBase);
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
    const shardCount = words[Header.ShardCount] ?? 1;
    const stride = words[Header.RingStride] ?? 0;
    const shape = freeListShape(words[Header.RingCapacity] ?? 0);
    this.#rings = Array.from(
      { length: shardCount },
      (_, shard) => new AtomicRing(words, Header.RingsBase + shard * stride, shape),
    );
    this.#homeIndex = Atomics.add(words, Header.NextHandle, 1) % shardCount;
    this.#home = this.#rings[this.#homeIndex] as AtomicRing;
    this.#views = new Array<Uint8Array | undefined>(this.slotCount).fill(undefined);
  }

  /** Takes a free slot from the front of a ring, or returns `undefined` when none is free. */
  take(): number | undefined {
    let slot = this.#home.popWord();
    if (slot === EMPTY) {
      slot = this.#takeFromOthers();
      if (slot === EMPTY) {
        Atomics.add(this.#words, Header.Exhausted, 1);
        return undefined;
      }
    }
    // A plain store: only this thread touches the word until the slot goes back, and any
    // hand-over to another thread synchronizes through the atomics of whatever carries it.
    this.#words[this.#ownerIndex + slot] = TAKEN;
    this.#recordInUse();
    return slot;
  }

  /**
   * Takes up to `max` free slots into `into` and returns how many it took. Fewer than asked
   * means every ring ran out, and counts once as exhausted.
   */
  takeBatch(into: Int32Array, max: number = into.length): number {
    const wanted = Math.min(max, into.length);
    let taken = this.#popInto(this.#home, into, 0, wanted);
    for (let step = 1; taken < wanted && step < this.#rings.length; step++) {
      const other = this.#rings[(this.#homeIndex + step) % this.#rings.length] as AtomicRing;
      taken = this.#popInto(other, into, taken, wanted);
    }
    if (taken < wanted) Atomics.add(this.#words, Header.Exhausted, 1);
    if (taken > 0) {
      this.#takesUntilRefresh = 0;
      this.#recordInUse();
    }
    return taken;
  }

  /** Gives a taken slot back at the end of this thread's ring. Throws if it is not taken. */
  giveBack(slot: number): void {
    const failure = this.#release(slot);
    if (failure !== undefined) throw failure;
    this.#home.pushWord(slot);
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
    this.#pushHome(slots, count);
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
    let free = 0;
    for (const ring of this.#rings) free += ring.length;
    return {
      slotCount: this.slotCount,
      inUse: this.slotCount - free,
      highWater: Atomics.load(this.#words, Header.HighWater),
      exhausted: Atomics.load(this.#words, Header.Exhausted),
    };
  }

  #takeFromOthers(): number {
    const rings = this.#rings;
    for (let step = 1; step < rings.length; step++) {
      const slot = (rings[(this.#homeIndex + step) % rings.length] as AtomicRing).popWord();
      if (slot !== EMPTY) {
        this.#takesUntilRefresh = 0;
        return slot;
      }
    }
    return EMPTY;
  }

  #popInto(ring: AtomicRing, into: Int32Array, from: number, wanted: number): number {
    const words = this.#words;
    let taken = from;
    while (taken < wanted) {
      const count = ring.claimPop(wanted - taken);
      if (count === 0) break;
      const position = ring.claimedPos;
      for (let i = 0; i < count; i++) {
        const slot = words[ring.payloadIndex((position + i) | 0)] ?? 0;
        into[taken + i] = slot;
        words[this.#ownerIndex + slot] = TAKEN;
      }
      ring.releasePop(position, count);
      taken += count;
    }
    return taken;
  }

  #pushHome(slots: Int32Array, count: number): void {
    const home = this.#home;
    let done = 0;
    while (done < count) {
      const claimed = home.claimPush(count - done);
      const position = home.claimedPos;
      for (let i = 0; i < claimed; i++) {
        this.#words[home.payloadIndex((position + i) | 0)] = slots[done + i] ?? 0;
      }
      home.publishPush(position, claimed);
      done += claimed;
    }
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
    this.#pushHome(Int32Array.from(released), released.length);
    throw failure;
  }

  #isSlot(slot: number): boolean {
    return slot >>> 0 === slot && slot < this.slotCount;
  }

  /**
   * Raises the high-water mark. Only the home ring is read on every take; the other rings
   * change under other threads and are looked at again every few takes, so that a take does
   * not pull their cache lines from other cores.
   */
  #recordInUse(): void {
    if (this.#takesUntilRefresh-- <= 0) {
      this.#takesUntilRefresh = HIGH_WATER_REFRESH_TAKES;
      let othersFree = 0;
      for (const ring of this.#rings) if (ring !== this.#home) othersFree += ring.lengthHint();
      this.#othersFree = othersFree;
    }
    const inUse = this.slotCount - this.#home.lengthHint() - this.#othersFree;
    let highWater = this.#words[Header.HighWater] ?? 0;
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
