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
    let earliest: number | undefined;
    for (const deadline of [
      this.retransmitHandshake,
      this.sendKeepalive,
      this.newHandshake,
      this.zeroKeyMaterial,
      this.persistentKeepalive,
    ]) {
      if (deadline !== undefined && (earliest === undefined || deadline < earliest)) {
        earliest = deadline;
      }
    }
    return earliest;
  }

  /** Clears every deadline and counter. */
  clear(): void {
    this.retransmitHandshake = undefined;
    this.sendKeepalive = undefined;
    this.newHandshake = undefined;
    this.zeroKeyMaterial = undefined;
    this.persistentKeepalive = undefined;
    this.handshakeAttempts = 0;
    this.needAnotherKeepalive = false;
    this.sentLastMinuteHandshake = false;
  }
}
