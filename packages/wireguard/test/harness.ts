/**
 * In-memory plumbing for multi-module tests: a seeded RandomSource, key pairs, IP packets,
 * and a two-device network with a fake clock that records every datagram it carries.
 */
import {
  Device,
  type DeviceConfig,
  defaultDiffieHellman,
  type Endpoint,
  type Peer,
  type PeerConfig,
  type RandomSource,
  type TunnResult,
} from "@fz/wireguard";

/** A deterministic RandomSource (SplitMix32), so jitter and keys repeat from run to run. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return (into) => {
    for (let i = 0; i < into.length; i++) {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      into[i] = (z ^ (z >>> 16)) & 0xff;
    }
  };
}

/** A private key from `random`. */
export function privateKey(random: RandomSource): Uint8Array {
  return defaultDiffieHellman.generatePrivateKey(random);
}

/** A minimal IPv4 packet from `source` to `destination` (dotted quads) with `payload` bytes. */
export function ipv4Packet(source: string, destination: string, payload: number): Uint8Array {
  const packet = new Uint8Array(20 + payload);
  packet[0] = 0x45;
  packet[2] = packet.length >>> 8;
  packet[3] = packet.length & 0xff;
  packet[8] = 64;
  packet[9] = 17;
  packet.set(source.split(".").map(Number), 12);
  packet.set(destination.split(".").map(Number), 16);
  for (let i = 20; i < packet.length; i++) packet[i] = i & 0xff;
  return packet;
}

/** A minimal IPv6 packet (addresses as 16-byte arrays) with `payload` bytes. */
export function ipv6Packet(
  source: Uint8Array,
  destination: Uint8Array,
  payload: number,
): Uint8Array {
  const packet = new Uint8Array(40 + payload);
  packet[0] = 0x60;
  packet[4] = payload >>> 8;
  packet[5] = payload & 0xff;
  packet[6] = 17;
  packet[7] = 64;
  packet.set(source, 8);
  packet.set(destination, 24);
  for (let i = 40; i < packet.length; i++) packet[i] = (i * 7) & 0xff;
  return packet;
}

/** The side of the two-device network. */
export type Side = "a" | "b";

/** One datagram the network carried. */
export interface Carried {
  readonly from: Side;
  readonly at: number;
  readonly bytes: Uint8Array;
  /** Message type (first byte). */
  readonly type: number;
}

/** One packet that came out of a device's tunnel side. */
export interface Delivered {
  readonly to: Side;
  readonly at: number;
  readonly packet: Uint8Array;
  readonly version: 4 | 6;
}

export interface PairOptions {
  readonly seed?: number;
  readonly a?: Partial<DeviceConfig>;
  readonly b?: Partial<DeviceConfig>;
  /** Options of A's peer (B) and of B's peer (A), public keys filled in. */
  readonly peerOfA?: Partial<PeerConfig>;
  readonly peerOfB?: Partial<PeerConfig>;
}

const ENDPOINTS: Record<Side, Endpoint> = {
  a: { address: "198.18.0.1", port: 51820 },
  b: { address: "198.18.0.2", port: 51820 },
};

/**
 * Devices A and B, each with the other as its peer, joined by a lossless in-memory network
 * (set `drop` to lose datagrams) and a fake clock `now` that only tests move.
 */
export class Pair {
  readonly a: Device;
  readonly b: Device;
  /** A's peer object for B. */
  readonly peerB: Peer;
  /** B's peer object for A. */
  readonly peerA: Peer;
  now = 0;
  readonly carried: Carried[] = [];
  readonly delivered: Delivered[] = [];
  readonly errors: { side: Side; result: TunnResult }[] = [];
  /** Return true to lose a datagram. */
  drop: (datagram: Carried) => boolean = () => false;
  readonly #out = new Uint8Array(2048);

  constructor(options: PairOptions = {}) {
    const random = seededRandom(options.seed ?? 1);
    this.a = new Device({
      privateKey: privateKey(random),
      timeOriginMs: 1.7e12,
      random,
      ...options.a,
    });
    this.b = new Device({
      privateKey: privateKey(random),
      timeOriginMs: 1.7e12,
      random,
      ...options.b,
    });
    this.peerB = this.a.addPeer({ ...options.peerOfA, publicKey: this.b.publicKey }, this.now);
    this.peerA = this.b.addPeer({ ...options.peerOfB, publicKey: this.a.publicKey }, this.now);
  }

  device(side: Side): Device {
    return side === "a" ? this.a : this.b;
  }

  /** Sends `packet` from `side` into the tunnel and carries whatever follows. */
  send(side: Side, packet: Uint8Array): TunnResult {
    const peer = side === "a" ? this.peerB : this.peerA;
    const result = peer.encapsulate(packet, this.#out, this.now);
    if (result.type === "write-to-network") this.transmit(side, result.packet.slice());
    this.flush();
    return result;
  }

  /** Moves the clock to `at` and runs both devices' due timers, repeatedly, until `at`. */
  advanceTo(at: number): void {
    for (;;) {
      const next = earliest(this.a.pollTimeout(), this.b.pollTimeout());
      if (next === undefined || next > at) break;
      this.now = Math.max(this.now, next);
      this.a.handleTimeout(this.now);
      this.b.handleTimeout(this.now);
      this.flush();
    }
    this.now = at;
    this.a.handleTimeout(this.now);
    this.b.handleTimeout(this.now);
    this.flush();
  }

  /** Moves the clock by `ms`, running timers on the way. */
  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  /** Drains both devices' pollTransmit until both are quiet. */
  flush(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const side of ["a", "b"] as const) {
        for (;;) {
          const result = this.device(side).pollTransmit(this.#out, this.now);
          if (result === undefined) break;
          moved = true;
          if (result.type === "write-to-network") this.transmit(side, result.packet.slice());
          else this.errors.push({ side, result });
        }
      }
    }
  }

  /** Carries one datagram from `from` to the other side and handles the result. */
  transmit(from: Side, bytes: Uint8Array): void {
    const datagram: Carried = { from, at: this.now, bytes, type: bytes[0] ?? 0 };
    this.carried.push(datagram);
    if (this.drop(datagram)) return;
    this.receive(from === "a" ? "b" : "a", bytes);
  }

  /** Hands `bytes` to `to` as if from the other side, and carries any answer back. */
  receive(to: Side, bytes: Uint8Array): TunnResult {
    const out = new Uint8Array(2048);
    const result = this.device(to).decapsulate(
      ENDPOINTS[to === "a" ? "b" : "a"],
      bytes,
      out,
      this.now,
    );
    switch (result.type) {
      case "write-to-network":
        this.transmit(to, result.packet.slice());
        break;
      case "write-to-tunnel-v4":
      case "write-to-tunnel-v6":
        this.delivered.push({
          to,
          at: this.now,
          packet: result.packet.slice(),
          version: result.type === "write-to-tunnel-v4" ? 4 : 6,
        });
        break;
      case "error":
        this.errors.push({ side: to, result });
        break;
      case "done":
        break;
    }
    this.flush();
    return result;
  }

  /** Datagrams of `type` sent by `from` (all senders when omitted). */
  sent(type: number, from?: Side): Carried[] {
    return this.carried.filter((d) => d.type === type && (from === undefined || d.from === from));
  }
}

function earliest(x: number | undefined, y: number | undefined): number | undefined {
  if (x === undefined) return y;
  if (y === undefined) return x;
  return Math.min(x, y);
}
