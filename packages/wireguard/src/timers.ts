/**
 * A peer's five protocol timers (whitepaper 6; wireguard-go `timers.go`) as deadlines in
 * `now` milliseconds: nothing fires by itself. The peer compares them with `now` in
 * `handleTimeout` and reports the earliest through `pollTimeout`.
 */

/** Deadlines of one peer; undefined means the timer is not pending. */
export class PeerTimers {
  /** Resend the initiation: 5 s plus jitter after each one. */
  retransmitHandshake: number | undefined;
  /** Passive keepalive: 10 s after data arrived when nothing was sent since. */
  sendKeepalive: number | undefined;
  /** Lost peer: 15 s plus jitter after data was sent when nothing authenticated came back. */
  newHandshake: number | undefined;
  /** Zero every key: 540 s after the last session was derived. */
  zeroKeyMaterial: number | undefined;
  /** Persistent keepalive: the interval after any authenticated packet either way. */
  persistentKeepalive: number | undefined;

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
        earlier(earlier(this.retransmitHandshake, this.sendKeepalive), this.newHandshake),
        this.zeroKeyMaterial,
      ),
      this.persistentKeepalive,
    );
  }
}

/** The earlier of two deadlines, where undefined is none. */
export function earlier(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || (b !== undefined && b < a) ? b : a;
}
