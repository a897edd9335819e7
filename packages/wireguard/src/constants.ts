/**
 * WireGuard's protocol constants (wireguard-go `device/constants.go`, the kernel's
 * `messages.h`). Durations are milliseconds, like every `now` in this package.
 */

/** Rekey on send once a keypair we initiated is this old. */
export const REKEY_AFTER_TIME_MS = 120_000;
/** Never send or accept data on a keypair this old. */
export const REJECT_AFTER_TIME_MS = 180_000;
/** How long to keep retrying a handshake (REKEY_TIMEOUT times MAX_TIMER_HANDSHAKES). */
export const REKEY_ATTEMPT_TIME_MS = 90_000;
/** Spacing of handshake initiations, and the retransmit interval before jitter. */
export const REKEY_TIMEOUT_MS = 5_000;
/** Retransmits and lost-peer rehandshakes add 0 to this many milliseconds of jitter. */
export const REKEY_TIMEOUT_JITTER_MAX_MS = 334;
/** A passive keepalive follows received data by this much when nothing was sent. */
export const KEEPALIVE_TIMEOUT_MS = 10_000;
/** A cookie (and the responder's cookie secret) stays fresh this long. */
export const COOKIE_REFRESH_TIME_MS = 120_000;
/** Initiations from one peer closer together than this are dropped as a flood. */
export const HANDSHAKE_INITIATION_RATE_MS = 20;
/** Retransmits after the first initiation before giving up (wireguard-go `MaxTimerHandshakes`). */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME_MS / REKEY_TIMEOUT_MS;
/** All keys of a peer are zeroed this long after its last session was derived. */
export const ZERO_KEYS_AFTER_MS = REJECT_AFTER_TIME_MS * 3;
/** The initiator rehandshakes on receive once its keypair is this old (180 - 10 - 5 s). */
export const REKEY_ON_RECEIVE_AFTER_MS =
  REJECT_AFTER_TIME_MS - KEEPALIVE_TIMEOUT_MS - REKEY_TIMEOUT_MS;

/** Rekey once a keypair has sent more than this many messages. */
export const REKEY_AFTER_MESSAGES = 2 ** 60;
/** WireGuard's limit, 2^64 - 2^13 - 1; as a bigint because a number cannot hold it. */
export const REJECT_AFTER_MESSAGES = 0xffff_ffff_ffff_dfffn;
/**
 * The largest counter plus one that this implementation sends or accepts: counters are
 * numbers, exact up to 2^53. Nothing legitimate reaches it: a keypair dies after 180 s, and
 * 2^53 messages in 180 s would be 50 trillion packets a second. Received counters at or above
 * it are rejected before they reach the AEAD, which also keeps them away from REJECT_AFTER_MESSAGES.
 */
export const MAX_COUNTER = 2 ** 53;

/** Plaintext is zero-padded to a multiple of this, capped at the MTU. */
export const PADDING_MULTIPLE = 16;
/** The default MTU of the tunnel device, Firezone's. */
export const DEFAULT_MTU = 1280;
/** Packets staged per peer while a handshake runs (wireguard-go's QueueStagedSize). */
export const DEFAULT_MAX_STAGED_PACKETS = 128;
/** Handshake messages per second past which the device asks for cookies (see README). */
export const DEFAULT_HANDSHAKE_LOAD_THRESHOLD = 128;
/** How long the device stays under load after the threshold was crossed. */
export const UNDER_LOAD_AFTER_TIME_MS = 1_000;

/** Handshake messages per second allowed from one source IP under load. */
export const RATE_LIMIT_PACKETS_PER_SECOND = 20;
/** Burst of handshake messages allowed from one source IP under load. */
export const RATE_LIMIT_BURST = 5;
