/**
 * One peer of a device: its handshake, its keypairs (previous, current, next), the packets
 * staged while a handshake runs, and its timers. Sans-IO: every method takes `now`, output
 * goes into caller-supplied buffers, and deadlines come out of `pollTimeout()`.
 *
 * After any call, drain `pollTransmit(out, now)` until it returns undefined: one event can
 * produce several datagrams (a keepalive and the staged packets after a handshake, say).
 * Peers are not safe for concurrent use; call them from one thread.
 */
import { EMPTY_BYTES, readU32LE, writeU32LE } from "./bytes.ts";
import {
  HANDSHAKE_INITIATION_RATE_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_TIMER_HANDSHAKES,
  PADDING_MULTIPLE,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_TIME_MS,
  REKEY_ON_RECEIVE_AFTER_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  ZERO_KEYS_AFTER_MS,
} from "./constants.ts";
import { CookieGenerator } from "./cookie.ts";
import type { DeviceContext } from "./device-context.ts";
import { HandshakeState } from "./handshake-state.ts";
import { Keypair } from "./keypair.ts";
import {
  INITIATION_BYTES,
  Initiation,
  KEEPALIVE_BYTES,
  MAX_MESSAGE_BYTES,
  MessageType,
  RESPONSE_BYTES,
  Response,
  SEALED_EMPTY_BYTES,
  SEALED_STATIC_BYTES,
  SEALED_TIMESTAMP_BYTES,
  TRANSPORT_OVERHEAD_BYTES,
} from "./messages.ts";
import {
  type OpenedInitiationStatic,
  openInitiationPayload,
  openResponse,
  splitKeys,
  writeInitiation,
  writeResponse,
} from "./noise/ikpsk2.ts";
import type { TunnResult, WireGuardErrorKind } from "./result.ts";
import { isAfter, TAI64N_BYTES, tai64n } from "./tai64n.ts";
import { PeerTimers } from "./timers.ts";
import { innerPacketLength, sealedSize, sealTransport } from "./transport.ts";

/** Counters and times of one peer. */
export interface PeerStats {
  /** `now` of the last completed handshake. */
  readonly lastHandshakeAt: number | undefined;
  /** Keypairs derived so far, one per handshake either way. */
  readonly sessions: number;
  /** True when a keypair is there to send with. */
  readonly hasSession: boolean;
  readonly stagedPackets: number;
  readonly txBytes: number;
  readonly rxBytes: number;
}

/** Options of one peer. */
export interface PeerConfig {
  /** The peer's static X25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** The optional 32-byte preshared key; both sides must agree. */
  readonly presharedKey?: Uint8Array;
  /** Send a keepalive after this many seconds without authenticated traffic; 0 or absent: off. */
  readonly persistentKeepaliveSeconds?: number;
}

const ZERO_KEY = new Uint8Array(32);
/** The largest packet whose transport message still fits in a UDP datagram. */
const MAX_PACKET_BYTES = MAX_MESSAGE_BYTES - TRANSPORT_OVERHEAD_BYTES;

/** A WireGuard peer; made by `Device.addPeer`. */
export class Peer {
  /** The peer's static public key. */
  readonly publicKey: Uint8Array;
  readonly #ctx: DeviceContext;
  readonly #presharedKey: Uint8Array;
  readonly #staticShared: Uint8Array;
  readonly #cookies: CookieGenerator;
  readonly #handshake = new HandshakeState();
  readonly #timers: PeerTimers;
  #keepaliveIntervalMs = 0;
  #current: Keypair | undefined;
  #previous: Keypair | undefined;
  #next: Keypair | undefined;
  /** Copies of packets waiting for a session; an empty one is a keepalive. */
  readonly #staged: Uint8Array[] = [];
  /** Our latest initiation, until `pollTransmit` hands it out. */
  #initiation: Uint8Array | undefined;
  /** Staged packets may go out now, with the current keypair. */
  #flushing = false;
  #lastHandshakeAt: number | undefined;
  #sessions = 0;
  #txBytes = 0;
  #rxBytes = 0;

  /** @internal Made by `Device.addPeer`, which has checked the keys. */
  constructor(ctx: DeviceContext, config: PeerConfig, staticShared: Uint8Array, now: number) {
    this.#ctx = ctx;
    this.#timers = new PeerTimers(ctx.noteDeadline);
    this.publicKey = config.publicKey.slice();
    this.#presharedKey = config.presharedKey?.slice() ?? ZERO_KEY;
    this.#staticShared = staticShared;
    this.#cookies = new CookieGenerator(this.publicKey);
    this.setPersistentKeepalive(config.persistentKeepaliveSeconds ?? 0, now);
  }

  /**
   * Encrypts the IP packet `packet` into `out` as a transport message. Without a usable
   * session, stages a copy of it and returns a handshake initiation instead (or `done` when
   * one went out less than 5 s ago). `packet` may sit at `out[16]`, then it is sealed in place;
   * `out` needs room for 32 bytes more than the packet plus padding, and at least 148.
   */
  encapsulate(packet: Uint8Array, out: Uint8Array, now: number): TunnResult {
    if (
      packet.length > MAX_PACKET_BYTES - PADDING_MULTIPLE &&
      sealedSize(packet.length, this.#ctx.mtu) > MAX_MESSAGE_BYTES
    ) {
      return this.#error("packet-too-large");
    }
    const keypair = this.#current;
    if (this.#staged.length === 0 && keypair !== undefined && this.#canSend(keypair, now)) {
      return this.#seal(keypair, packet, out, now);
    }
    this.#stage(packet.slice());
    this.#sendStaged(now);
    return this.pollTransmit(out, now) ?? { type: "done", peer: this };
  }

  /**
   * Handles a datagram from this peer, like `Device.decapsulate` without the load policy
   * (there is no source address): messages for other peers come back as `wrong-peer`.
   */
  decapsulate(datagram: Uint8Array, out: Uint8Array, now: number): TunnResult {
    return this.#ctx.decapsulateFor(this, datagram, out, now);
  }

  /** Runs the timers due at `now`; their datagrams come out of `pollTransmit`. */
  handleTimeout(now: number): void {
    const timers = this.#timers;
    if (timers.retransmitHandshake !== undefined && timers.retransmitHandshake <= now) {
      timers.retransmitHandshake = undefined;
      this.#retransmitHandshake(now);
    }
    if (timers.sendKeepalive !== undefined && timers.sendKeepalive <= now) {
      timers.sendKeepalive = undefined;
      this.#sendKeepalive(now);
      if (timers.needAnotherKeepalive) {
        timers.needAnotherKeepalive = false;
        timers.sendKeepalive = now + KEEPALIVE_TIMEOUT_MS;
      }
    }
    if (timers.newHandshake !== undefined && timers.newHandshake <= now) {
      timers.newHandshake = undefined;
      this.#sendHandshakeInitiation(now, false);
    }
    if (timers.zeroKeyMaterial !== undefined && timers.zeroKeyMaterial <= now) {
      timers.zeroKeyMaterial = undefined;
      this.#zeroAndFlushAll();
    }
    if (timers.persistentKeepalive !== undefined && timers.persistentKeepalive <= now) {
      timers.persistentKeepalive = undefined;
      if (this.#keepaliveIntervalMs > 0) this.#sendKeepalive(now);
    }
  }

  /** The earliest `now` at which `handleTimeout` has something to do. */
  pollTimeout(): number | undefined {
    return this.#timers.earliest();
  }

  /**
   * Writes the next datagram waiting for this peer into `out` (a handshake message, a staged
   * packet, a keepalive), or returns undefined when there is none.
   */
  pollTransmit(out: Uint8Array, now: number): TunnResult | undefined {
    const message = this.#initiation;
    if (message !== undefined) {
      // Dropped rather than kept when `out` is too small, so that draining always ends.
      this.#initiation = undefined;
      if (out.length < message.length) return this.#error("buffer-too-small");
      out.set(message);
      this.#txBytes += message.length;
      return { type: "write-to-network", packet: out.subarray(0, message.length), peer: this };
    }
    if (!this.#flushing) return undefined;
    const packet = this.#staged[0];
    const keypair = this.#current;
    if (packet === undefined || keypair === undefined || !this.#canSend(keypair, now)) {
      this.#flushing = false;
      if (packet === undefined) return undefined;
      this.#sendHandshakeInitiation(now, false);
      return this.pollTransmit(out, now);
    }
    this.#staged.shift();
    return this.#seal(keypair, packet, out, now);
  }

  /** Starts (or stops, with 0) persistent keepalives; a first one goes out at `now`. */
  setPersistentKeepalive(seconds: number, now: number): void {
    const wasOff = this.#keepaliveIntervalMs === 0;
    this.#keepaliveIntervalMs = Math.max(0, seconds) * 1000;
    if (this.#keepaliveIntervalMs === 0) this.#timers.persistentKeepalive = undefined;
    else if (wasOff) this.#timers.persistentKeepalive = now;
  }

  /** Seconds between persistent keepalives; 0 when off. */
  get persistentKeepaliveSeconds(): number {
    return this.#keepaliveIntervalMs / 1000;
  }

  /** Makes a handshake start now (subject to the 5 s spacing), as if data were waiting. */
  initiateHandshake(now: number): void {
    this.#sendHandshakeInitiation(now, false);
  }

  /** When the last handshake completed (`now` of that moment), without building `stats()`. */
  get lastHandshakeAt(): number | undefined {
    return this.#lastHandshakeAt;
  }

  /** Whether a session can carry data now, without building `stats()`. */
  get hasSession(): boolean {
    return this.#current !== undefined;
  }

  /** Counters and times of this peer. */
  stats(): PeerStats {
    return {
      lastHandshakeAt: this.#lastHandshakeAt,
      sessions: this.#sessions,
      hasSession: this.#current !== undefined,
      stagedPackets: this.#staged.length,
      txBytes: this.#txBytes,
      rxBytes: this.#rxBytes,
    };
  }

  /**
   * @internal Second half of an initiation to us, after the device checked its MACs, opened
   * its static key and found this peer: checks the timestamp and answers with a response.
   */
  handleInitiation(
    message: Uint8Array,
    opened: OpenedInitiationStatic,
    out: Uint8Array,
    now: number,
  ): TunnResult {
    if (out.length < RESPONSE_BYTES) return this.#error("buffer-too-small");
    const read = openInitiationPayload(
      this.#ctx,
      opened.state,
      this.#staticShared,
      message.subarray(Initiation.TIMESTAMP, Initiation.MAC1),
    );
    if (read === undefined || read.payload.length !== TAI64N_BYTES) {
      return this.#error("invalid-handshake");
    }
    const handshake = this.#handshake;
    if (!isAfter(read.payload, handshake.lastTimestamp)) return this.#error("timestamp-replay");
    if (now - handshake.lastInitiationAt <= HANDSHAKE_INITIATION_RATE_MS) {
      return this.#error("handshake-flood");
    }
    this.#resetHandshake();
    handshake.symmetric = read.state;
    handshake.remoteIndex = readU32LE(message, Initiation.SENDER);
    handshake.remoteEphemeral = message.slice(Initiation.EPHEMERAL, Initiation.STATIC);
    handshake.lastTimestamp.set(read.payload);
    handshake.lastInitiationAt = Math.max(now, handshake.lastInitiationAt);
    this.#rxBytes += message.length;
    this.#authenticatedTraversal(now);
    this.#authenticatedReceived();
    return this.#sendHandshakeResponse(out, now);
  }

  /** @internal A response to our initiation, after the device checked its MACs and index. */
  handleResponse(message: Uint8Array, out: Uint8Array, now: number): TunnResult {
    const handshake = this.#handshake;
    const receiver = readU32LE(message, Response.RECEIVER);
    if (
      handshake.localIndex !== receiver ||
      handshake.symmetric === undefined ||
      handshake.localEphemeral === undefined
    ) {
      return this.#error("invalid-handshake");
    }
    const read = openResponse(
      this.#ctx,
      handshake.symmetric,
      {
        localEphemeralPrivate: handshake.localEphemeral,
        localStaticPrivate: this.#ctx.staticPrivate,
        presharedKey: this.#presharedKey,
      },
      message.subarray(Response.EPHEMERAL, Response.EMPTY),
      message.subarray(Response.EMPTY, Response.MAC1),
    );
    if (read === undefined) return this.#error("invalid-handshake");
    handshake.symmetric = read.state;
    handshake.remoteIndex = readU32LE(message, Response.SENDER);
    this.#rxBytes += message.length;
    this.#authenticatedTraversal(now);
    this.#authenticatedReceived();
    this.#beginSession(true, now);
    this.#handshakeComplete(now);
    this.#sendKeepalive(now);
    return this.pollTransmit(out, now) ?? { type: "done", peer: this };
  }

  /** @internal A cookie reply to our last handshake message. */
  handleCookieReply(message: Uint8Array, now: number): TunnResult {
    if (!this.#cookies.consumeReply(message, now)) return this.#error("invalid-cookie");
    return { type: "done", peer: this };
  }

  /**
   * @internal A transport message that authenticated on `keypair` and passed the replay
   * window; its plaintext is the first `length` bytes of `out`.
   */
  handleTransport(keypair: Keypair, out: Uint8Array, length: number, now: number): TunnResult {
    this.#rxBytes += length + KEEPALIVE_BYTES;
    if (this.#receivedWithKeypair(keypair)) {
      this.#handshakeComplete(now);
      this.#sendStaged(now);
    }
    this.#keepKeyFreshReceiving(now);
    this.#authenticatedTraversal(now);
    this.#authenticatedReceived();
    if (length === 0) return { type: "done", peer: this };
    this.#dataReceived(now);
    const packetLength = innerPacketLength(out, length);
    if (packetLength < 0) return this.#error("invalid-packet");
    return {
      type: (out[0] ?? 0) >>> 4 === 4 ? "write-to-tunnel-v4" : "write-to-tunnel-v6",
      packet: out.subarray(0, packetLength),
      peer: this,
    };
  }

  /** @internal Forgets every key and staged packet; used by the device when removing a peer. */
  zeroAndFlushAll(): void {
    this.#zeroAndFlushAll();
  }

  #canSend(keypair: Keypair, now: number): boolean {
    return (
      keypair.sendCounter < this.#ctx.rejectAfterMessages &&
      now - keypair.createdAt < REJECT_AFTER_TIME_MS
    );
  }

  #stage(packet: Uint8Array): void {
    if (this.#staged.length >= this.#ctx.maxStagedPackets) this.#staged.shift();
    this.#staged.push(packet);
  }

  #sendStaged(now: number): void {
    if (this.#staged.length === 0) return;
    const keypair = this.#current;
    if (keypair === undefined || !this.#canSend(keypair, now)) {
      this.#sendHandshakeInitiation(now, false);
      return;
    }
    this.#flushing = true;
    this.#ctx.notePending(this);
  }

  #sendKeepalive(now: number): void {
    if (this.#staged.length === 0) this.#staged.push(EMPTY_BYTES);
    this.#sendStaged(now);
  }

  /** Seals `packet` into `out` as a transport message on `keypair`. */
  #seal(keypair: Keypair, packet: Uint8Array, out: Uint8Array, now: number): TunnResult {
    const length = sealTransport(this.#ctx.aead, keypair, packet, out, this.#ctx.mtu);
    if (length < 0) return this.#error("buffer-too-small");
    this.#sent(length, packet.length > 0, now);
    return { type: "write-to-network", packet: out.subarray(0, length), peer: this };
  }

  #sent(length: number, isData: boolean, now: number): void {
    this.#txBytes += length;
    this.#authenticatedSent(now);
    if (isData && this.#timers.newHandshake === undefined) {
      this.#timers.newHandshake = now + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + this.#jitter();
    }
    this.#keepKeyFreshSending(now);
  }

  #sendHandshakeInitiation(now: number, isRetry: boolean): void {
    if (!isRetry) this.#timers.handshakeAttempts = 0;
    const handshake = this.#handshake;
    if (now - handshake.lastSentAt < REKEY_TIMEOUT_MS) return;
    handshake.lastSentAt = now;
    const message = this.#createInitiation(now);
    if (message === undefined) return;
    this.#cookies.addMacs(message, now);
    this.#authenticatedSent(now);
    this.#initiation = message;
    this.#ctx.notePending(this);
    this.#timers.retransmitHandshake = now + REKEY_TIMEOUT_MS + this.#jitter();
  }

  #createInitiation(now: number): Uint8Array | undefined {
    const ctx = this.#ctx;
    const ephemeralPrivate = ctx.dh.generatePrivateKey(ctx.random);
    const written = writeInitiation(
      ctx,
      ctx.initial,
      {
        localStaticPublic: ctx.staticPublic,
        remoteStaticPublic: this.publicKey,
        staticShared: this.#staticShared,
        ephemeralPrivate,
      },
      tai64n(ctx.timeOriginMs + now),
    );
    if (written === undefined) return undefined;
    const handshake = this.#handshake;
    this.#resetHandshake();
    handshake.localIndex = ctx.indices.reserve(this);
    handshake.localEphemeral = ephemeralPrivate;
    handshake.symmetric = written.state;
    const message = new Uint8Array(INITIATION_BYTES);
    message[0] = MessageType.Initiation;
    writeU32LE(message, Initiation.SENDER, handshake.localIndex);
    message.set(written.ephemeralPublic, Initiation.EPHEMERAL);
    message.set(written.sealedStatic.subarray(0, SEALED_STATIC_BYTES), Initiation.STATIC);
    message.set(written.sealedPayload.subarray(0, SEALED_TIMESTAMP_BYTES), Initiation.TIMESTAMP);
    return message;
  }

  #sendHandshakeResponse(out: Uint8Array, now: number): TunnResult {
    const ctx = this.#ctx;
    const handshake = this.#handshake;
    handshake.lastSentAt = now;
    const remoteEphemeral = handshake.remoteEphemeral;
    if (handshake.symmetric === undefined || remoteEphemeral === undefined) {
      return this.#error("invalid-handshake");
    }
    handshake.localIndex = ctx.indices.reserve(this);
    const ephemeralPrivate = ctx.dh.generatePrivateKey(ctx.random);
    const written = writeResponse(
      ctx,
      handshake.symmetric,
      {
        remoteEphemeralPublic: remoteEphemeral,
        remoteStaticPublic: this.publicKey,
        ephemeralPrivate,
        presharedKey: this.#presharedKey,
      },
      EMPTY_BYTES,
    );
    ephemeralPrivate.fill(0);
    if (written === undefined) {
      this.#resetHandshake();
      return this.#error("invalid-handshake");
    }
    const message = out.subarray(0, RESPONSE_BYTES);
    message.fill(0);
    message[0] = MessageType.Response;
    writeU32LE(message, Response.SENDER, handshake.localIndex);
    writeU32LE(message, Response.RECEIVER, handshake.remoteIndex);
    message.set(written.ephemeralPublic, Response.EPHEMERAL);
    message.set(written.sealedPayload.subarray(0, SEALED_EMPTY_BYTES), Response.EMPTY);
    this.#cookies.addMacs(message, now);
    handshake.symmetric = written.state;
    this.#beginSession(false, now);
    this.#authenticatedSent(now);
    this.#txBytes += RESPONSE_BYTES;
    return { type: "write-to-network", packet: message, peer: this };
  }

  /** Derives the keypair of a finished handshake and rotates it in (wireguard-go's rules). */
  #beginSession(isInitiator: boolean, now: number): void {
    const ctx = this.#ctx;
    const handshake = this.#handshake;
    const symmetric = handshake.symmetric;
    const localIndex = handshake.localIndex;
    if (symmetric === undefined || localIndex === undefined) return;
    const [initiatorKey, responderKey] = splitKeys(symmetric.chainKey);
    const keypair = new Keypair(
      isInitiator ? initiatorKey : responderKey,
      isInitiator ? responderKey : initiatorKey,
      isInitiator,
      now,
      localIndex,
      handshake.remoteIndex,
    );
    // Not #resetHandshake: the index stays, now naming the keypair.
    handshake.clear();
    ctx.indices.assignKeypair(localIndex, keypair);
    this.#sessions++;
    this.#timers.zeroKeyMaterial = now + ZERO_KEYS_AFTER_MS;
    const previous = this.#previous;
    const next = this.#next;
    const current = this.#current;
    if (isInitiator) {
      if (next !== undefined) {
        this.#next = undefined;
        this.#previous = next;
        this.#deleteKeypair(current);
      } else {
        this.#previous = current;
      }
      this.#deleteKeypair(previous);
      this.#current = keypair;
    } else {
      this.#next = keypair;
      this.#deleteKeypair(next);
      this.#previous = undefined;
      this.#deleteKeypair(previous);
    }
  }

  /** Key confirmation for the responder: the first packet on `next` makes it current. */
  #receivedWithKeypair(keypair: Keypair): boolean {
    if (this.#next !== keypair) return false;
    this.#deleteKeypair(this.#previous);
    this.#previous = this.#current;
    this.#current = keypair;
    this.#next = undefined;
    return true;
  }

  #deleteKeypair(keypair: Keypair | undefined): void {
    if (keypair === undefined) return;
    this.#ctx.indices.delete(keypair.localIndex);
    keypair.zero();
  }

  #keepKeyFreshSending(now: number): void {
    const keypair = this.#current;
    if (keypair === undefined) return;
    if (
      keypair.sendCounter > this.#ctx.rekeyAfterMessages ||
      (keypair.isInitiator && now - keypair.createdAt > REKEY_AFTER_TIME_MS)
    ) {
      this.#sendHandshakeInitiation(now, false);
    }
  }

  #keepKeyFreshReceiving(now: number): void {
    if (this.#timers.sentLastMinuteHandshake) return;
    const keypair = this.#current;
    if (keypair?.isInitiator && now - keypair.createdAt > REKEY_ON_RECEIVE_AFTER_MS) {
      this.#timers.sentLastMinuteHandshake = true;
      this.#sendHandshakeInitiation(now, false);
    }
  }

  #retransmitHandshake(now: number): void {
    const timers = this.#timers;
    if (timers.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
      timers.sendKeepalive = undefined;
      this.#staged.length = 0;
      this.#flushing = false;
      timers.zeroKeyMaterial ??= now + ZERO_KEYS_AFTER_MS;
      return;
    }
    timers.handshakeAttempts++;
    this.#sendHandshakeInitiation(now, true);
  }

  #handshakeComplete(now: number): void {
    this.#timers.retransmitHandshake = undefined;
    this.#timers.handshakeAttempts = 0;
    this.#timers.sentLastMinuteHandshake = false;
    this.#lastHandshakeAt = now;
  }

  #dataReceived(now: number): void {
    if (this.#timers.sendKeepalive === undefined) {
      this.#timers.sendKeepalive = now + KEEPALIVE_TIMEOUT_MS;
    } else {
      this.#timers.needAnotherKeepalive = true;
    }
  }

  #authenticatedReceived(): void {
    this.#timers.newHandshake = undefined;
  }

  #authenticatedTraversal(now: number): void {
    if (this.#keepaliveIntervalMs > 0) {
      this.#timers.persistentKeepalive = now + this.#keepaliveIntervalMs;
    }
  }

  /** We sent an authenticated message: it also serves as the passive keepalive. */
  #authenticatedSent(now: number): void {
    this.#authenticatedTraversal(now);
    this.#timers.sendKeepalive = undefined;
  }

  /** Forgets the handshake in progress and frees its index. */
  #resetHandshake(): void {
    const handshake = this.#handshake;
    if (handshake.localIndex !== undefined) this.#ctx.indices.delete(handshake.localIndex);
    handshake.clear();
  }

  #zeroAndFlushAll(): void {
    this.#deleteKeypair(this.#previous);
    this.#deleteKeypair(this.#current);
    this.#deleteKeypair(this.#next);
    this.#previous = undefined;
    this.#current = undefined;
    this.#next = undefined;
    this.#resetHandshake();
    this.#staged.length = 0;
    this.#flushing = false;
  }

  #jitter(): number {
    return this.#ctx.randomBelow(REKEY_TIMEOUT_JITTER_MAX_MS);
  }

  #error(error: WireGuardErrorKind): TunnResult {
    return { type: "error", error, peer: this };
  }
}
