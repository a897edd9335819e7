/**
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, the two handshake messages and Split(), as pure
 * functions over (chaining key, hash). The prologue and the payloads are parameters:
 * WireGuard uses its IDENTIFIER, a TAI64N timestamp and an empty payload, and the cacophony
 * test vector runs through the same code with its own. DH failures (an all-zero shared
 * secret) and AEAD failures return undefined; nothing here throws for bad input.
 */
import type { AeadBackend } from "../aead/aead.ts";
import { AEAD_TAG_BYTES } from "../aead/aead.ts";
import { EMPTY_BYTES, utf8Bytes } from "../bytes.ts";
import { hash } from "../crypto/blake2s.ts";
import { kdf1, kdf2, kdf3 } from "../crypto/kdf.ts";
import type { DiffieHellman } from "../crypto/x25519.ts";

/** The Noise protocol name, hashed into the initial chaining key. */
export const CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
/** WireGuard's prologue. */
export const IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/** The running state of a handshake: Noise's chaining key `ck` and handshake hash `h`. */
export interface SymmetricState {
  readonly chainKey: Uint8Array;
  readonly hash: Uint8Array;
}

/** The primitives a handshake runs on. */
export interface NoiseCrypto {
  readonly aead: AeadBackend;
  readonly dh: DiffieHellman;
}

/** The state before any message: ck = HASH(CONSTRUCTION), h = HASH(ck || prologue). */
export function initialState(prologue: Uint8Array): SymmetricState {
  const chainKey = hash(utf8Bytes(CONSTRUCTION));
  return { chainKey, hash: hash(chainKey, prologue) };
}

/** What the initiator puts in message 1, and its state afterwards. */
export interface WrittenInitiation {
  readonly state: SymmetricState;
  readonly ephemeralPublic: Uint8Array;
  readonly sealedStatic: Uint8Array;
  readonly sealedPayload: Uint8Array;
}

/** Message 1 of IK (-> e, es, s, ss) with `payload`. `staticShared` is DH(s_i, S_r). */
export function writeInitiation(
  crypto: NoiseCrypto,
  initial: SymmetricState,
  keys: {
    readonly localStaticPublic: Uint8Array;
    readonly remoteStaticPublic: Uint8Array;
    readonly staticShared: Uint8Array;
    readonly ephemeralPrivate: Uint8Array;
  },
  payload: Uint8Array,
): WrittenInitiation | undefined {
  let h = hash(initial.hash, keys.remoteStaticPublic);
  const ephemeralPublic = crypto.dh.publicKey(keys.ephemeralPrivate);
  let [ck] = kdf1(initial.chainKey, ephemeralPublic);
  h = hash(h, ephemeralPublic);
  const es = crypto.dh.sharedSecret(keys.ephemeralPrivate, keys.remoteStaticPublic);
  if (es === undefined) return undefined;
  let k: Uint8Array;
  [ck, k] = kdf2(ck, es);
  const sealedStatic = seal(crypto.aead, k, keys.localStaticPublic, h);
  h = hash(h, sealedStatic);
  [ck, k] = kdf2(ck, keys.staticShared);
  const sealedPayload = seal(crypto.aead, k, payload, h);
  h = hash(h, sealedPayload);
  return { state: { chainKey: ck, hash: h }, ephemeralPublic, sealedStatic, sealedPayload };
}

/** The responder's state after opening the initiator's static key, before the payload. */
export interface OpenedInitiationStatic {
  readonly state: SymmetricState;
  readonly remoteStaticPublic: Uint8Array;
}

/** First half of reading message 1: e, es, s. Returns the initiator's static public key. */
export function openInitiationStatic(
  crypto: NoiseCrypto,
  initial: SymmetricState,
  keys: { readonly localStaticPrivate: Uint8Array; readonly localStaticPublic: Uint8Array },
  ephemeralPublic: Uint8Array,
  sealedStatic: Uint8Array,
): OpenedInitiationStatic | undefined {
  const h = hash(hash(initial.hash, keys.localStaticPublic), ephemeralPublic);
  const [mixed] = kdf1(initial.chainKey, ephemeralPublic);
  const es = crypto.dh.sharedSecret(keys.localStaticPrivate, ephemeralPublic);
  if (es === undefined) return undefined;
  const [ck, k] = kdf2(mixed, es);
  const remoteStaticPublic = open(crypto.aead, k, sealedStatic, h);
  if (remoteStaticPublic === undefined) return undefined;
  return { state: { chainKey: ck, hash: hash(h, sealedStatic) }, remoteStaticPublic };
}

/** Second half of reading message 1: ss and the payload. `staticShared` is DH(s_r, S_i). */
export function openInitiationPayload(
  crypto: NoiseCrypto,
  state: SymmetricState,
  staticShared: Uint8Array,
  sealedPayload: Uint8Array,
): { readonly state: SymmetricState; readonly payload: Uint8Array } | undefined {
  const [ck, k] = kdf2(state.chainKey, staticShared);
  const payload = open(crypto.aead, k, sealedPayload, state.hash);
  if (payload === undefined) return undefined;
  return { state: { chainKey: ck, hash: hash(state.hash, sealedPayload) }, payload };
}

/** What the responder puts in message 2, and its state afterwards. */
export interface WrittenResponse {
  readonly state: SymmetricState;
  readonly ephemeralPublic: Uint8Array;
  readonly sealedPayload: Uint8Array;
}

/** Message 2 of IKpsk2 (<- e, ee, se, psk) with `payload`. */
export function writeResponse(
  crypto: NoiseCrypto,
  state: SymmetricState,
  keys: {
    readonly remoteEphemeralPublic: Uint8Array;
    readonly remoteStaticPublic: Uint8Array;
    readonly ephemeralPrivate: Uint8Array;
    readonly presharedKey: Uint8Array;
  },
  payload: Uint8Array,
): WrittenResponse | undefined {
  const ephemeralPublic = crypto.dh.publicKey(keys.ephemeralPrivate);
  let h = hash(state.hash, ephemeralPublic);
  let [ck] = kdf1(state.chainKey, ephemeralPublic);
  const ee = crypto.dh.sharedSecret(keys.ephemeralPrivate, keys.remoteEphemeralPublic);
  if (ee === undefined) return undefined;
  [ck] = kdf1(ck, ee);
  const se = crypto.dh.sharedSecret(keys.ephemeralPrivate, keys.remoteStaticPublic);
  if (se === undefined) return undefined;
  [ck] = kdf1(ck, se);
  const [chainKey, tau, k] = kdf3(ck, keys.presharedKey);
  h = hash(h, tau);
  const sealedPayload = seal(crypto.aead, k, payload, h);
  h = hash(h, sealedPayload);
  return { state: { chainKey, hash: h }, ephemeralPublic, sealedPayload };
}

/** Reads message 2 as the initiator; returns the payload and the final state. */
export function openResponse(
  crypto: NoiseCrypto,
  state: SymmetricState,
  keys: {
    readonly localEphemeralPrivate: Uint8Array;
    readonly localStaticPrivate: Uint8Array;
    readonly presharedKey: Uint8Array;
  },
  ephemeralPublic: Uint8Array,
  sealedPayload: Uint8Array,
): { readonly state: SymmetricState; readonly payload: Uint8Array } | undefined {
  let h = hash(state.hash, ephemeralPublic);
  let [ck] = kdf1(state.chainKey, ephemeralPublic);
  const ee = crypto.dh.sharedSecret(keys.localEphemeralPrivate, ephemeralPublic);
  if (ee === undefined) return undefined;
  [ck] = kdf1(ck, ee);
  const se = crypto.dh.sharedSecret(keys.localStaticPrivate, ephemeralPublic);
  if (se === undefined) return undefined;
  [ck] = kdf1(ck, se);
  const [chainKey, tau, k] = kdf3(ck, keys.presharedKey);
  h = hash(h, tau);
  const payload = open(crypto.aead, k, sealedPayload, h);
  if (payload === undefined) return undefined;
  h = hash(h, sealedPayload);
  return { state: { chainKey, hash: h }, payload };
}

/** Noise's Split(): the transport keys, the initiator's sending key first. */
export function splitKeys(chainKey: Uint8Array): readonly [Uint8Array, Uint8Array] {
  return kdf2(chainKey, EMPTY_BYTES);
}

function seal(aead: AeadBackend, key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array) {
  const sealed = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
  aead.seal(key, 0, plaintext, ad, sealed);
  return sealed;
}

function open(aead: AeadBackend, key: Uint8Array, sealed: Uint8Array, ad: Uint8Array) {
  if (sealed.length < AEAD_TAG_BYTES) return undefined;
  const plaintext = new Uint8Array(sealed.length - AEAD_TAG_BYTES);
  return aead.open(key, 0, sealed, ad, plaintext) < 0 ? undefined : plaintext;
}
