import type { IpAddress } from "@fz/ip-packet";
import type { NatFlow } from "./nat-flow.ts";

/**
 * The fields a flow is looked up by: a protocol, two addresses and two ports, read from a packet
 * (addresses straight from its bytes) or from a flow. Filled in place and reused, so that a
 * lookup allocates nothing: building a string key cost more than the whole rewrite (about
 * 120 ns for String.fromCharCode of 7 units in Bun 1.4.5, against 10 ns for a numeric Map key).
 */
export class FlowProbe {
  protocol = 0;
  v6 = false;
  a4 = 0;
  b4 = 0;
  a6: Uint8Array = NO_BYTES;
  a6At = 0;
  b6: Uint8Array = NO_BYTES;
  b6At = 0;
  portA = 0;
  portB = 0;

  setV4(protocol: number, a: number, b: number, portA: number, portB: number): this {
    this.protocol = protocol;
    this.v6 = false;
    this.a4 = a;
    this.b4 = b;
    this.portA = portA;
    this.portB = portB;
    return this;
  }

  /** Addresses are the 16 bytes at `a[aAt..]` and `b[bAt..]`; they are read, never kept. */
  setV6(
    protocol: number,
    a: Uint8Array,
    aAt: number,
    b: Uint8Array,
    bAt: number,
    portA: number,
    portB: number,
  ): this {
    this.protocol = protocol;
    this.v6 = true;
    this.a6 = a;
    this.a6At = aAt;
    this.b6 = b;
    this.b6At = bAt;
    this.portA = portA;
    this.portB = portB;
    return this;
  }

  set(protocol: number, a: IpAddress, b: IpAddress, portA: number, portB: number): this {
    if (typeof a === "number")
      return this.setV4(protocol, a, typeof b === "number" ? b : 0, portA, portB);
    return this.setV6(protocol, a, 0, typeof b === "number" ? NO_BYTES : b, 0, portA, portB);
  }

  /** A 32-bit hash of the fields (MurmurHash3's mixing). */
  hash(): number {
    let h = mix(SEED, this.protocol | (this.v6 ? 0x100 : 0));
    h = mix(h, ((this.portA & 0xffff) << 16) | (this.portB & 0xffff));
    if (this.v6) {
      for (let i = 0; i < 16; i += 4) h = mix(h, readU32(this.a6, this.a6At + i));
      for (let i = 0; i < 16; i += 4) h = mix(h, readU32(this.b6, this.b6At + i));
    } else {
      h = mix(h, this.a4);
      h = mix(h, this.b4);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  matches(protocol: number, a: IpAddress, b: IpAddress, portA: number, portB: number): boolean {
    if (protocol !== this.protocol || portA !== this.portA || portB !== this.portB) return false;
    if (typeof a === "number" || typeof b === "number") {
      return !this.v6 && a === this.a4 && b === this.b4;
    }
    return this.v6 && equal16(this.a6, this.a6At, a) && equal16(this.b6, this.b6At, b);
  }
}

/** Which fields of a flow an index keys on. */
export type FlowSide =
  /** (protocol, client address, proxy IP, client port, destination port): a packet from the client. */
  | "inside"
  /** (protocol, real IP, client address, destination port, NAT port): a packet from the resource. */
  | "outside";

/** Flows by the hash of one side's fields, collisions resolved by comparing the fields. */
export class FlowIndex {
  readonly #buckets = new Map<number, NatFlow | NatFlow[]>();
  readonly #side: FlowSide;
  #size = 0;

  constructor(side: FlowSide) {
    this.#side = side;
  }

  get size(): number {
    return this.#size;
  }

  find(probe: FlowProbe, hash = probe.hash()): NatFlow | undefined {
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) return undefined;
    if (!Array.isArray(bucket)) return this.#matches(bucket, probe) ? bucket : undefined;
    for (const flow of bucket) if (this.#matches(flow, probe)) return flow;
    return undefined;
  }

  add(hash: number, flow: NatFlow): void {
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) this.#buckets.set(hash, flow);
    else if (Array.isArray(bucket)) bucket.push(flow);
    else this.#buckets.set(hash, [bucket, flow]);
    this.#size++;
  }

  delete(hash: number, flow: NatFlow): void {
    const bucket = this.#buckets.get(hash);
    if (bucket === flow) {
      this.#buckets.delete(hash);
      this.#size--;
    } else if (Array.isArray(bucket)) {
      const index = bucket.indexOf(flow);
      if (index < 0) return;
      bucket.splice(index, 1);
      if (bucket.length === 1 && bucket[0] !== undefined) this.#buckets.set(hash, bucket[0]);
      this.#size--;
    }
  }

  values(): IterableIterator<NatFlow> {
    return flatten(this.#buckets.values());
  }

  #matches(flow: NatFlow, probe: FlowProbe): boolean {
    return this.#side === "inside"
      ? probe.matches(
          flow.protocol,
          flow.clientAddress,
          flow.proxyIp,
          flow.clientPort,
          flow.remotePort,
        )
      : probe.matches(
          flow.protocol,
          flow.realIp,
          flow.clientAddress,
          flow.remotePort,
          flow.natPort,
        );
  }
}

function* flatten(buckets: Iterable<NatFlow | NatFlow[]>): IterableIterator<NatFlow> {
  for (const bucket of buckets) {
    if (Array.isArray(bucket)) yield* bucket;
    else yield bucket;
  }
}

const NO_BYTES = new Uint8Array(16);
const SEED = 0x2021fd00;

function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] ?? 0) << 24) |
    ((bytes[at + 1] ?? 0) << 16) |
    ((bytes[at + 2] ?? 0) << 8) |
    (bytes[at + 3] ?? 0)
  );
}

/** Whether the 16 bytes at `bytes[at..]` are `address`. */
export function equal16(bytes: Uint8Array, at: number, address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (bytes[at + i] !== address[i]) return false;
  return true;
}
