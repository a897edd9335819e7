/**
 * A WireGuard device: our static key and our peers. It routes each incoming datagram to its
 * peer (by receiver index, or for an initiation by the static key inside it), applies the
 * handshake policy (mac1 always; under load mac2, cookie replies and per-source rate limits)
 * and hands back a `TunnResult`. Sans-IO: no clock, no sockets, no threads. The caller passes
 * `now` (milliseconds, monotonic), calls `handleTimeout(now)` at `pollTimeout()`, and after
 * every call drains `pollTransmit(out, now)` until it returns undefined.
 *
 * A device is not safe for concurrent use.
 */
import type { AeadBackend } from "./aead/aead.ts";
import { AEAD_TAG_BYTES } from "./aead/aead.ts";
import { nobleAead } from "./aead/noble.ts";
import { readU32LE, utf8Bytes } from "./bytes.ts";
import {
  DEFAULT_HANDSHAKE_LOAD_THRESHOLD,
  DEFAULT_MAX_STAGED_PACKETS,
  DEFAULT_MTU,
  MAX_COUNTER,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_MESSAGES,
} from "./constants.ts";
import { CookieChecker } from "./cookie.ts";
import { defaultRandom, type RandomSource } from "./crypto/random.ts";
import type { DiffieHellman } from "./crypto/x25519.ts";
import { defaultDiffieHellman } from "./crypto/x25519-default.ts";
import type { DeviceContext } from "./device-context.ts";
import { DuplicatePeerError, InvalidConfigError } from "./errors.ts";
import { IndexTable } from "./index-table.ts";
import { LoadMonitor } from "./load-monitor.ts";
import {
  COOKIE_REPLY_BYTES,
  CookieReply,
  INITIATION_BYTES,
  Initiation,
  KEEPALIVE_BYTES,
  MessageType,
  RESPONSE_BYTES,
  Response,
  TRANSPORT_HEADER_BYTES,
  Transport,
} from "./messages.ts";
import { IDENTIFIER, initialState, openInitiationStatic } from "./noise/ikpsk2.ts";
import { Peer, type PeerConfig } from "./peer.ts";
import { RateLimiter } from "./rate-limiter.ts";
import type { TunnResult, WireGuardErrorKind } from "./result.ts";

/** Options of a device. */
export interface DeviceConfig {
  /** Our static X25519 private key, 32 bytes. */
  readonly privateKey: Uint8Array;
  /**
   * Unix time in milliseconds at `now = 0` (`performance.timeOrigin` when `now` is
   * `performance.now()`). Initiations carry wall-clock TAI64N timestamps, and a peer drops
   * any that is not newer than the last it saw, also across our restarts.
   */
  readonly timeOriginMs: number;
  /** The data-path AEAD; default `nobleAead`. The shell may load a native one and pass it. */
  readonly aead?: AeadBackend;
  /** X25519; default `defaultDiffieHellman`. */
  readonly dh?: DiffieHellman;
  /** Randomness for keys, indices, cookie secrets and timer jitter; default `defaultRandom`. */
  readonly random?: RandomSource;
  /** The tunnel MTU, which caps padding; default 1280. */
  readonly mtu?: number;
  /** Packets kept per peer while a handshake runs, oldest dropped first; default 128. */
  readonly maxStagedPackets?: number;
  /** Handshake messages per second that put the device under load; default 128. */
  readonly handshakeLoadThreshold?: number;
  /** Rekey after sending this many messages on a keypair; default 2^60 (tests lower it). */
  readonly rekeyAfterMessages?: number;
  /** Stop sending and receiving at this counter; default and maximum 2^53 (see MAX_COUNTER). */
  readonly rejectAfterMessages?: number;
}

/** Where a datagram came from, as the socket reports it. */
export interface Endpoint {
  /** The source IP address in any stable text form; rate limiting is per address. */
  readonly address: string;
  readonly port: number;
}

/** A WireGuard interface: our key, our peers and the receive path. */
export class Device {
  /** Our static public key. */
  readonly publicKey: Uint8Array;
  readonly #ctx: DeviceContext;
  readonly #indices: IndexTable<Peer>;
  readonly #cookies: CookieChecker;
  readonly #load: LoadMonitor;
  readonly #rateLimiter = new RateLimiter();
  readonly #peers = new Map<string, Peer>();
  /** No peer has a timer due before this (a lower bound; Infinity when none is pending). */
  #earliest = Number.POSITIVE_INFINITY;
  readonly #pending = new Set<Peer>();

  constructor(config: DeviceConfig) {
    const dh = config.dh ?? defaultDiffieHellman;
    const random = config.random ?? defaultRandom;
    checkKey("privateKey", config.privateKey);
    const mtu = config.mtu ?? DEFAULT_MTU;
    checkPositive("mtu", mtu);
    const maxStagedPackets = config.maxStagedPackets ?? DEFAULT_MAX_STAGED_PACKETS;
    checkPositive("maxStagedPackets", maxStagedPackets);
    const rekeyAfterMessages = config.rekeyAfterMessages ?? REKEY_AFTER_MESSAGES;
    checkPositive("rekeyAfterMessages", rekeyAfterMessages);
    const rejectAfterMessages = config.rejectAfterMessages ?? MAX_COUNTER;
    checkPositive("rejectAfterMessages", rejectAfterMessages);
    if (rejectAfterMessages > MAX_COUNTER) {
      throw new InvalidConfigError("rejectAfterMessages", "use at most 2^53 (MAX_COUNTER)");
    }
    if (!Number.isFinite(config.timeOriginMs)) {
      throw new InvalidConfigError("timeOriginMs", "pass Unix milliseconds at now = 0");
    }
    const staticPrivate = config.privateKey.slice();
    this.publicKey = dh.publicKey(staticPrivate);
    this.#indices = new IndexTable<Peer>(random);
    this.#cookies = new CookieChecker(this.publicKey, random);
    const loadThreshold = config.handshakeLoadThreshold ?? DEFAULT_HANDSHAKE_LOAD_THRESHOLD;
    if (!(loadThreshold >= 0)) {
      throw new InvalidConfigError("handshakeLoadThreshold", "pass 0 (always under load) or more");
    }
    this.#load = new LoadMonitor(loadThreshold);
    const scratch = new Uint8Array(4);
    this.#ctx = {
      aead: config.aead ?? nobleAead,
      dh,
      random,
      staticPrivate,
      staticPublic: this.publicKey,
      initial: initialState(utf8Bytes(IDENTIFIER)),
      indices: this.#indices,
      timeOriginMs: config.timeOriginMs,
      mtu,
      maxStagedPackets,
      rekeyAfterMessages,
      rejectAfterMessages,
      randomBelow: (bound) => {
        random(scratch);
        return readU32LE(scratch, 0) % bound;
      },
      notePending: (peer) => {
        this.#pending.add(peer);
      },
      noteDeadline: (at) => {
        if (at < this.#earliest) this.#earliest = at;
      },
      decapsulateFor: (peer, datagram, out, now) =>
        this.#decapsulate(datagram, out, now, undefined, peer),
    };
  }

  /** Adds a peer. Throws `InvalidConfigError` for a bad key, `DuplicatePeerError` for a repeat. */
  addPeer(config: PeerConfig, now: number): Peer {
    checkKey("publicKey", config.publicKey);
    if (config.presharedKey !== undefined) checkKey("presharedKey", config.presharedKey);
    const seconds = config.persistentKeepaliveSeconds ?? 0;
    if (!(seconds >= 0 && seconds <= 65_535)) {
      throw new InvalidConfigError("persistentKeepaliveSeconds", "use 0 to 65535 seconds");
    }
    const id = keyId(config.publicKey);
    if (this.#peers.has(id)) throw new DuplicatePeerError();
    if (id === keyId(this.publicKey)) {
      throw new InvalidConfigError("publicKey", "a peer cannot have the device's own key");
    }
    const staticShared = this.#ctx.dh.sharedSecret(this.#ctx.staticPrivate, config.publicKey);
    if (staticShared === undefined) {
      throw new InvalidConfigError("publicKey", "it is a low-order point; pass a real X25519 key");
    }
    const peer = new Peer(this.#ctx, config, staticShared, now);
    this.#peers.set(id, peer);
    return peer;
  }

  /** Removes `peer`, zeroing its keys; its indices stop routing at once. */
  removePeer(peer: Peer): void {
    const id = keyId(peer.publicKey);
    if (this.#peers.get(id) !== peer) return;
    peer.zeroAndFlushAll();
    this.#peers.delete(id);
    this.#pending.delete(peer);
  }

  /** The peer with this public key. */
  peer(publicKey: Uint8Array): Peer | undefined {
    return this.#peers.get(keyId(publicKey));
  }

  /** Every peer. */
  peers(): IterableIterator<Peer> {
    return this.#peers.values();
  }

  /**
   * Handles one datagram from `from`. Decrypted packets land at the start of `out`, which may
   * be `datagram.subarray(16)` to decrypt in place but must not overlap `datagram` otherwise;
   * handshake answers and cookie replies are written into `out` for sending back to `from`.
   * Never throws for any datagram.
   */
  decapsulate(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnResult {
    return this.#decapsulate(datagram, out, now, from, undefined);
  }

  /** Runs every peer's due timers; their datagrams come out of `pollTransmit`. */
  handleTimeout(now: number): void {
    if (now < this.#earliest) return;
    // A timer is due: run every peer's, and learn the true earliest deadline again on the way.
    let earliest = Number.POSITIVE_INFINITY;
    for (const peer of this.#peers.values()) {
      peer.handleTimeout(now);
      earliest = Math.min(earliest, peer.pollTimeout() ?? Number.POSITIVE_INFINITY);
    }
    this.#earliest = earliest;
  }

  /**
   * The earliest `now` at which `handleTimeout` may have something to do. No peer is asked: every
   * timer set lowers a bound the device keeps, so a deadline that moved later since (a keepalive
   * pushed back by traffic) costs one early wake-up, and thousands of peers cost nothing per call.
   */
  pollTimeout(): number | undefined {
    return this.#earliest === Number.POSITIVE_INFINITY ? undefined : this.#earliest;
  }

  /** Writes the next datagram any peer has waiting into `out`; `peer` says where it goes. */
  pollTransmit(out: Uint8Array, now: number): TunnResult | undefined {
    for (const peer of this.#pending) {
      const result = peer.pollTransmit(out, now);
      if (result !== undefined) return result;
      this.#pending.delete(peer);
    }
    return undefined;
  }

  #decapsulate(
    datagram: Uint8Array,
    out: Uint8Array,
    now: number,
    from: Endpoint | undefined,
    expected: Peer | undefined,
  ): TunnResult {
    if (datagram.length < KEEPALIVE_BYTES) return error("invalid-message", expected);
    switch (readU32LE(datagram, 0)) {
      case MessageType.Transport:
        return this.#transport(datagram, out, now, expected);
      case MessageType.Initiation:
        if (datagram.length !== INITIATION_BYTES) return error("invalid-message", expected);
        return this.#initiation(datagram, out, now, from, expected);
      case MessageType.Response:
        if (datagram.length !== RESPONSE_BYTES) return error("invalid-message", expected);
        return this.#response(datagram, out, now, from, expected);
      case MessageType.CookieReply:
        if (datagram.length !== COOKIE_REPLY_BYTES) return error("invalid-message", expected);
        return this.#cookieReply(datagram, now, expected);
      default:
        return error("invalid-message", expected);
    }
  }

  #transport(
    datagram: Uint8Array,
    out: Uint8Array,
    now: number,
    expected: Peer | undefined,
  ): TunnResult {
    const entry = this.#indices.lookup(readU32LE(datagram, Transport.RECEIVER));
    const keypair = entry?.keypair;
    if (entry === undefined || keypair === undefined) return error("unknown-index", expected);
    const peer = entry.peer;
    if (expected !== undefined && peer !== expected) return error("wrong-peer", expected);
    if (now - keypair.createdAt > REJECT_AFTER_TIME_MS) return error("expired-keypair", peer);
    // Exact below 2^53; above, rounding cannot bring it under the limit (at most 2^53).
    const counter =
      readU32LE(datagram, Transport.COUNTER + 4) * 0x1_0000_0000 +
      readU32LE(datagram, Transport.COUNTER);
    if (counter >= this.#ctx.rejectAfterMessages) return error("invalid-counter", peer);
    const sealedLength = datagram.length - TRANSPORT_HEADER_BYTES;
    if (out.length < sealedLength - AEAD_TAG_BYTES) return error("buffer-too-small", peer);
    const length = this.#ctx.aead.openAt(
      keypair.receiveKey,
      counter,
      datagram,
      TRANSPORT_HEADER_BYTES,
      sealedLength,
      out,
    );
    if (length < 0) return error("decryption-failed", peer);
    if (!keypair.replay.check(counter)) return error("replay", peer);
    return peer.handleTransport(keypair, out, length, now);
  }

  #initiation(
    message: Uint8Array,
    out: Uint8Array,
    now: number,
    from: Endpoint | undefined,
    expected: Peer | undefined,
  ): TunnResult {
    const refused = this.#admitHandshake(message, out, now, from, expected);
    if (refused !== undefined) return refused;
    const opened = openInitiationStatic(
      this.#ctx,
      this.#ctx.initial,
      { localStaticPrivate: this.#ctx.staticPrivate, localStaticPublic: this.publicKey },
      message.subarray(Initiation.EPHEMERAL, Initiation.STATIC),
      message.subarray(Initiation.STATIC, Initiation.TIMESTAMP),
    );
    if (opened === undefined) return error("invalid-handshake", expected);
    const peer = this.#peers.get(keyId(opened.remoteStaticPublic));
    if (peer === undefined) return error("unknown-peer", expected);
    if (expected !== undefined && peer !== expected) return error("wrong-peer", expected);
    return peer.handleInitiation(message, opened, out, now);
  }

  #response(
    message: Uint8Array,
    out: Uint8Array,
    now: number,
    from: Endpoint | undefined,
    expected: Peer | undefined,
  ): TunnResult {
    const refused = this.#admitHandshake(message, out, now, from, expected);
    if (refused !== undefined) return refused;
    const entry = this.#indices.lookup(readU32LE(message, Response.RECEIVER));
    if (entry === undefined || entry.keypair !== undefined) return error("unknown-index", expected);
    if (expected !== undefined && entry.peer !== expected) return error("wrong-peer", expected);
    return entry.peer.handleResponse(message, out, now);
  }

  #cookieReply(message: Uint8Array, now: number, expected: Peer | undefined): TunnResult {
    const entry = this.#indices.lookup(readU32LE(message, CookieReply.RECEIVER));
    if (entry === undefined) return error("unknown-index", expected);
    if (expected !== undefined && entry.peer !== expected) return error("wrong-peer", expected);
    return entry.peer.handleCookieReply(message, now);
  }

  /**
   * The handshake policy: undefined lets the message through; otherwise the result (an error,
   * or under load a cookie reply in `out` for a message without a valid mac2).
   */
  #admitHandshake(
    message: Uint8Array,
    out: Uint8Array,
    now: number,
    from: Endpoint | undefined,
    expected: Peer | undefined,
  ): TunnResult | undefined {
    this.#load.record(now);
    if (!this.#cookies.checkMac1(message)) return error("invalid-mac", expected);
    if (from === undefined || !this.#load.isUnderLoad(now)) return undefined;
    const source = endpointBytes(from);
    if (!this.#cookies.checkMac2(message, source, now)) {
      if (out.length < COOKIE_REPLY_BYTES) return error("buffer-too-small", expected);
      const length = this.#cookies.writeReply(message, source, out, now);
      return { type: "write-to-network", packet: out.subarray(0, length), peer: undefined };
    }
    if (!this.#rateLimiter.allow(from.address, now)) return error("rate-limited", expected);
    return undefined;
  }
}

function error(kind: WireGuardErrorKind, peer: Peer | undefined): TunnResult {
  return { type: "error", error: kind, peer };
}

function checkKey(field: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new InvalidConfigError(field, "pass 32 bytes (decodeKey turns wg's base64 into bytes)");
  }
}

function checkPositive(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidConfigError(field, "pass a positive number");
  }
}

function keyId(key: Uint8Array): string {
  let id = "";
  for (let i = 0; i < key.length; i++) id += (key[i] ?? 0).toString(16).padStart(2, "0");
  return id;
}

/** The bytes a cookie is bound to: the source address and port (encoding is ours alone). */
function endpointBytes(from: Endpoint): Uint8Array {
  const address = utf8Bytes(from.address);
  const bytes = new Uint8Array(address.length + 2);
  bytes.set(address);
  bytes[address.length] = from.port >>> 8;
  bytes[address.length + 1] = from.port;
  return bytes;
}
