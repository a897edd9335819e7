export type { AeadBackend, AeadBackendName } from "./aead/aead.ts";
export { nobleAead } from "./aead/noble.ts";
export {
  COOKIE_REFRESH_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_COUNTER,
  MAX_TIMER_HANDSHAKES,
  REJECT_AFTER_MESSAGES,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME_MS,
  REKEY_ATTEMPT_TIME_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  ZERO_KEYS_AFTER_MS,
} from "./constants.ts";
export { CookieChecker, CookieGenerator } from "./cookie.ts";
export { decodeKey, encodeKey, KeyFormatError } from "./crypto/keys.ts";
export type { RandomSource } from "./crypto/random.ts";
export { defaultRandom } from "./crypto/random.ts";
export type { DiffieHellman } from "./crypto/x25519.ts";
export { nobleX25519 } from "./crypto/x25519.ts";
export { defaultDiffieHellman } from "./crypto/x25519-default.ts";
export { nodeX25519 } from "./crypto/x25519-node.ts";
export { Device, type DeviceConfig, type Endpoint } from "./device.ts";
export { formatHostPort } from "./endpoint-text.ts";
export { DuplicatePeerError, InvalidConfigError } from "./errors.ts";
export {
  COOKIE_REPLY_BYTES,
  INITIATION_BYTES,
  KEEPALIVE_BYTES,
  MessageType,
  RESPONSE_BYTES,
  TRANSPORT_HEADER_BYTES,
  TRANSPORT_OVERHEAD_BYTES,
} from "./messages.ts";
export {
  CONSTRUCTION,
  IDENTIFIER,
  initialState,
  type NoiseCrypto,
  openInitiationPayload,
  openInitiationStatic,
  openResponse,
  type SymmetricState,
  splitKeys,
  writeInitiation,
  writeResponse,
} from "./noise/ikpsk2.ts";
export { Peer, type PeerConfig, type PeerStats } from "./peer.ts";
export { RateLimiter } from "./rate-limiter.ts";
export { REPLAY_WINDOW_SIZE, ReplayWindow } from "./replay-window.ts";
export type { TunnResult, WireGuardErrorKind } from "./result.ts";
export { isAfter, TAI64N_BYTES, tai64n } from "./tai64n.ts";
export { paddingFor, sealedSize } from "./transport.ts";
