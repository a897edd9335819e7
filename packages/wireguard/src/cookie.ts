/**
 * mac1, mac2 and cookie replies (whitepaper 5.4.4 and 5.4.7, wireguard-go `cookie.go`).
 * `CookieChecker` is our side as the recipient of handshake messages: it verifies mac1 and,
 * under load, mac2, and writes cookie replies. `CookieGenerator` is our side towards one peer:
 * it adds both MACs to our handshake messages and keeps the cookie that peer sent us.
 */

import { equalBytes, readU32LE, utf8Bytes, writeU32LE } from "./bytes.ts";
import { COOKIE_REFRESH_TIME_MS } from "./constants.ts";
import { hash, mac } from "./crypto/blake2s.ts";
import type { RandomSource } from "./crypto/random.ts";
import { xopen, xseal } from "./crypto/xaead.ts";
import {
  COOKIE_NONCE_BYTES,
  COOKIE_REPLY_BYTES,
  CookieReply,
  MAC_BYTES,
  MessageType,
} from "./messages.ts";

const LABEL_MAC1 = utf8Bytes("mac1----");
const LABEL_COOKIE = utf8Bytes("cookie--");
/** Initiations and responses both carry the sender index at offset 4. */
const SENDER_OFFSET = 4;

/** The key of mac1 for messages to the holder of `publicKey`: HASH(LABEL_MAC1 || key). */
export function mac1Key(publicKey: Uint8Array): Uint8Array {
  return hash(LABEL_MAC1, publicKey);
}

/** The key that seals cookies from the holder of `publicKey`: HASH(LABEL_COOKIE || key). */
export function cookieKey(publicKey: Uint8Array): Uint8Array {
  return hash(LABEL_COOKIE, publicKey);
}

/** Verifies the MACs of handshake messages sent to us and answers with cookies under load. */
export class CookieChecker {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #random: RandomSource;
  readonly #secret = new Uint8Array(32);
  #secretSetAt = Number.NEGATIVE_INFINITY;

  constructor(localPublicKey: Uint8Array, random: RandomSource) {
    this.#mac1Key = mac1Key(localPublicKey);
    this.#cookieKey = cookieKey(localPublicKey);
    this.#random = random;
  }

  /** True when mac1 of the handshake message `message` is right. */
  checkMac1(message: Uint8Array): boolean {
    const macs = message.length - 2 * MAC_BYTES;
    const expected = mac(this.#mac1Key, message.subarray(0, macs));
    return equalBytes(expected, message.subarray(macs, macs + MAC_BYTES));
  }

  /** True when mac2 is right for a cookie we would give `source` now. */
  checkMac2(message: Uint8Array, source: Uint8Array, now: number): boolean {
    if (now - this.#secretSetAt > COOKIE_REFRESH_TIME_MS) return false;
    const cookie = mac(this.#secret, source);
    const macs = message.length - MAC_BYTES;
    return equalBytes(mac(cookie, message.subarray(0, macs)), message.subarray(macs));
  }

  /**
   * Writes into `out` (64 bytes or more) a cookie reply to `message` from `source`, and
   * returns its length. The cookie secret is renewed when older than two minutes.
   */
  writeReply(message: Uint8Array, source: Uint8Array, out: Uint8Array, now: number): number {
    if (now - this.#secretSetAt > COOKIE_REFRESH_TIME_MS) {
      this.#random(this.#secret);
      this.#secretSetAt = now;
    }
    const cookie = mac(this.#secret, source);
    const macs = message.length - 2 * MAC_BYTES;
    const nonce = new Uint8Array(COOKIE_NONCE_BYTES);
    this.#random(nonce);
    const sealed = xseal(this.#cookieKey, nonce, cookie, message.subarray(macs, macs + MAC_BYTES));
    const receiver = readU32LE(message, SENDER_OFFSET);
    out.fill(0, 0, COOKIE_REPLY_BYTES);
    out[0] = MessageType.CookieReply;
    writeU32LE(out, CookieReply.RECEIVER, receiver);
    out.set(nonce, CookieReply.NONCE);
    out.set(sealed, CookieReply.COOKIE);
    return COOKIE_REPLY_BYTES;
  }
}

/** Adds mac1 and mac2 to our handshake messages for one peer and keeps that peer's cookie. */
export class CookieGenerator {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #cookie = new Uint8Array(MAC_BYTES);
  #cookieSetAt = Number.NEGATIVE_INFINITY;
  readonly #lastMac1 = new Uint8Array(MAC_BYTES);
  #hasLastMac1 = false;

  constructor(remotePublicKey: Uint8Array) {
    this.#mac1Key = mac1Key(remotePublicKey);
    this.#cookieKey = cookieKey(remotePublicKey);
  }

  /** Fills in mac1 and, while we hold a fresh cookie, mac2 (else zeros) of `message`. */
  addMacs(message: Uint8Array, now: number): void {
    const mac2At = message.length - MAC_BYTES;
    const mac1At = mac2At - MAC_BYTES;
    const mac1 = mac(this.#mac1Key, message.subarray(0, mac1At));
    message.set(mac1, mac1At);
    this.#lastMac1.set(mac1);
    this.#hasLastMac1 = true;
    if (now - this.#cookieSetAt > COOKIE_REFRESH_TIME_MS) {
      message.fill(0, mac2At);
      return;
    }
    message.set(mac(this.#cookie, message.subarray(0, mac2At)), mac2At);
  }

  /** Takes the cookie out of a cookie reply to our last message; false when it does not open. */
  consumeReply(reply: Uint8Array, now: number): boolean {
    if (!this.#hasLastMac1) return false;
    const nonce = reply.subarray(CookieReply.NONCE, CookieReply.COOKIE);
    const sealed = reply.subarray(CookieReply.COOKIE, COOKIE_REPLY_BYTES);
    const cookie = xopen(this.#cookieKey, nonce, sealed, this.#lastMac1);
    if (cookie === undefined || cookie.length !== MAC_BYTES) return false;
    this.#cookie.set(cookie);
    this.#cookieSetAt = now;
    return true;
  }

  /** True while a cookie from the peer is fresh, so our next handshake message carries mac2. */
  hasFreshCookie(now: number): boolean {
    return now - this.#cookieSetAt <= COOKIE_REFRESH_TIME_MS;
  }
}
