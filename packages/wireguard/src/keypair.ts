/**
 * One session's keys in both directions (a Noise transport pair), with its send counter and
 * receive replay window. A keypair never changes keys; a rekey makes a new one.
 */
import { ReplayWindow } from "./replay-window.ts";

/** The keys, counters and indices of one session. */
export class Keypair {
  /** The counter of the next message sent. */
  sendCounter = 0;
  readonly replay = new ReplayWindow();

  constructor(
    readonly sendKey: Uint8Array,
    readonly receiveKey: Uint8Array,
    /** True when we sent the initiation of the handshake that made this keypair. */
    readonly isInitiator: boolean,
    /** `now` when the keypair was derived. */
    readonly createdAt: number,
    /** The index the peer puts in messages to us. */
    readonly localIndex: number,
    /** The index we put in messages to the peer. */
    readonly remoteIndex: number,
  ) {}

  /** Overwrites both keys with zeros; the keypair is unusable afterwards. */
  zero(): void {
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
  }
}
