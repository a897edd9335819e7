import { InvalidSlotError, SlotNotTakenError } from "@fz/bufferpool";

const SPIN_LIMIT = 100;
const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
const FREE = 0;
const TAKEN = 1;

/** Word indexes: the lock on its own cache line, the queue state on the next, then the ring. */
const Header = {
  SlotCount: 0,
  SlotSize: 1,
  Headroom: 2,
  DataOffset: 3,
  Lock: 16,
  Head: 32,
  Tail: 33,
  Free: 34,
  InUse: 35,
  HighWater: 36,
  Exhausted: 37,
  Ring: 48,
} as const;

/**
 * The design Firezone replaced, for comparison: the same slots, FIFO free list, ownership
 * check and statistics as `BufferPool`, but every take and give-back holds a mutex. The mutex
 * is the futex kind Rust's standard library uses on Linux: one compare-and-swap when free,
 * a bounded spin, then Atomics.wait until the holder notifies.
 */
export class MutexPool {
  readonly buffer: SharedArrayBuffer;
  readonly slotCount: number;
  readonly slotSize: number;
  readonly headroom: number;
  readonly #words: Int32Array;
  readonly #ownerIndex: number;
  readonly #dataOffset: number;
  readonly #views: (Uint8Array | undefined)[];

  static create(slotCount: number, slotCapacity: number, headroom: number): MutexPool {
    const slotSize = Math.ceil((headroom + slotCapacity) / 64) * 64;
    const ownerIndex = Header.Ring + slotCount;
    const dataOffset = Math.ceil(((ownerIndex + slotCount) * 4) / 64) * 64;
    const buffer = new SharedArrayBuffer(dataOffset + slotCount * slotSize);
    const words = new Int32Array(buffer, 0, dataOffset / 4);
    words[Header.SlotCount] = slotCount;
    words[Header.SlotSize] = slotSize;
    words[Header.Headroom] = headroom;
    words[Header.DataOffset] = dataOffset;
    for (let slot = 0; slot < slotCount; slot++) words[Header.Ring + slot] = slot;
    words[Header.Free] = slotCount;
    return new MutexPool(buffer);
  }

  static attach(buffer: SharedArrayBuffer): MutexPool {
    return new MutexPool(buffer);
  }

  private constructor(buffer: SharedArrayBuffer) {
    const header = new Int32Array(buffer, 0, Header.Ring);
    const dataOffset = header[Header.DataOffset] ?? 0;
    this.buffer = buffer;
    this.#words = new Int32Array(buffer, 0, dataOffset / 4);
    this.slotCount = header[Header.SlotCount] ?? 0;
    this.slotSize = header[Header.SlotSize] ?? 0;
    this.headroom = header[Header.Headroom] ?? 0;
    this.#ownerIndex = Header.Ring + this.slotCount;
    this.#dataOffset = dataOffset;
    this.#views = new Array<Uint8Array | undefined>(this.slotCount).fill(undefined);
  }

  take(): number | undefined {
    const words = this.#words;
    this.#lock();
    const free = words[Header.Free] ?? 0;
    if (free === 0) {
      words[Header.Exhausted] = (words[Header.Exhausted] ?? 0) + 1;
      this.#unlock();
      return undefined;
    }
    const head = words[Header.Head] ?? 0;
    const slot = words[Header.Ring + head] ?? 0;
    words[Header.Head] = head + 1 === this.slotCount ? 0 : head + 1;
    words[Header.Free] = free - 1;
    const inUse = (words[Header.InUse] ?? 0) + 1;
    words[Header.InUse] = inUse;
    if (inUse > (words[Header.HighWater] ?? 0)) words[Header.HighWater] = inUse;
    this.#unlock();
    words[this.#ownerIndex + slot] = TAKEN;
    return slot;
  }

  giveBack(slot: number): void {
    const words = this.#words;
    if (!(slot >>> 0 === slot && slot < this.slotCount)) {
      throw new InvalidSlotError(slot, this.slotCount);
    }
    if (Atomics.compareExchange(words, this.#ownerIndex + slot, TAKEN, FREE) !== TAKEN) {
      throw new SlotNotTakenError(slot);
    }
    this.#lock();
    const tail = words[Header.Tail] ?? 0;
    words[Header.Ring + tail] = slot;
    words[Header.Tail] = tail + 1 === this.slotCount ? 0 : tail + 1;
    words[Header.Free] = (words[Header.Free] ?? 0) + 1;
    words[Header.InUse] = (words[Header.InUse] ?? 0) - 1;
    this.#unlock();
  }

  bytes(slot: number): Uint8Array {
    return this.#views[slot] ?? this.#makeView(slot);
  }

  #makeView(slot: number): Uint8Array {
    const view = new Uint8Array(
      this.buffer,
      this.#dataOffset + slot * this.slotSize,
      this.slotSize,
    );
    this.#views[slot] = view;
    return view;
  }

  #lock(): void {
    if (Atomics.compareExchange(this.#words, Header.Lock, UNLOCKED, LOCKED) === UNLOCKED) return;
    this.#lockContended();
  }

  #lockContended(): void {
    const words = this.#words;
    let state = this.#spin();
    if (state === UNLOCKED) {
      state = Atomics.compareExchange(words, Header.Lock, UNLOCKED, LOCKED);
      if (state === UNLOCKED) return;
    }
    for (;;) {
      if (state !== CONTENDED && Atomics.exchange(words, Header.Lock, CONTENDED) === UNLOCKED) {
        return;
      }
      Atomics.wait(words, Header.Lock, CONTENDED);
      state = this.#spin();
    }
  }

  #spin(): number {
    for (let spins = SPIN_LIMIT; ; spins--) {
      const state = Atomics.load(this.#words, Header.Lock);
      if (state !== LOCKED || spins === 0) return state;
    }
  }

  #unlock(): void {
    if (Atomics.exchange(this.#words, Header.Lock, UNLOCKED) === CONTENDED) {
      Atomics.notify(this.#words, Header.Lock, 1);
    }
  }
}
