/**
 * A peer's five protocol timers (whitepaper 6; wireguard-go `timers.go`) as deadlines in
 * `now` milliseconds: nothing fires by itself. The peer compares them with `now` in
 * `handleTimeout` and reports the earliest through `pollTimeout`.
 */

/**
 * Deadlines of one peer; undefined means the timer is not pending. Setting one tells `onSet`,
 * so that the device knows a lower bound of every peer's earliest deadline without asking each.
 */
export class PeerTimers {
  readonly #onSet: (at: number) => void;
  #retransmitHandshake: number | undefined;
  #sendKeepalive: number | undefined;
  #newHandshake: number | undefined;
  #zeroKeyMaterial: number | undefined;
  #persistentKeepalive: number | undefined;

  constructor(onSet: (at: number) => void = () => {}) {
    this.#onSet = onSet;
  }

  /** Resend the initiation: 5 s plus jitter after each one. */
  get retransmitHandshake(): number | undefined {
    return this.#retransmitHandshake;
  }
  set retransmitHandshake(at: number | undefined) {
    this.#retransmitHandshake = at;
    if (at !== undefined) this.#onSet(at);
  }

  /** Passive keepalive: 10 s after data arrived when nothing was sent since. */
  get sendKeepalive(): number | undefined {
    return this.#sendKeepalive;
  }
  set sendKeepalive(at: number | undefined) {
    this.#sendKeepalive = at;
    if (at !== undefined) this.#onSet(at);
  }

  /** Lost peer: 15 s plus jitter after data was sent when nothing authenticated came back. */
  get newHandshake(): number | undefined {
    return this.#newHandshake;
  }
  set newHandshake(at: number | undefined) {
    this.#newHandshake = at;
    if (at !== undefined) this.#onSet(at);
  }

  /** Zero every key: 540 s after the last session was derived. */
  get zeroKeyMaterial(): number | undefined {
    return this.#zeroKeyMaterial;
  }
  set zeroKeyMaterial(at: number | undefined) {
    this.#zeroKeyMaterial = at;
    if (at !== undefined) this.#onSet(at);
  }

  /** Persistent keepalive: the interval after any authenticated packet either way. */
  get persistentKeepalive(): number | undefined {
    return this.#persistentKeepalive;
  }
  set persistentKeepalive(at: number | undefined) {
    this.#persistentKeepalive = at;
    if (at !== undefined) this.#onSet(at);
  }

  /** Retransmits since the last initiation that was not a retry. */
  handshakeAttempts = 0;
  /** Data arrived while a passive keepalive was pending: send another after it. */
  needAnotherKeepalive = false;
  /** The 165 s rehandshake on receive was already sent for the current keypair. */
  sentLastMinuteHandshake = false;

  /** The earliest pending deadline. */
  earliest(): number | undefined {
    return earlier(
      earlier(
        earlier(earlier(this.#retransmitHandshake, this.#sendKeepalive), this.#newHandshake),
        this.#zeroKeyMaterial,
      ),
      this.#persistentKeepalive,
    );
  }
}

/** The earlier of two deadlines, where undefined is none. */
export function earlier(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || (b !== undefined && b < a) ? b : a;
}
