import {
  type DropCounts,
  type DropReason,
  emptyDropCounts,
  NONE,
  type TunnelOutput,
} from "./output.ts";

/** What a core dropped, by reason, and the WireGuard errors behind the `wireguard` ones. */
export class DropCounter {
  readonly #drops = emptyDropCounts();
  readonly #wireguardErrors: Record<string, number> = {};

  /** Counts a dropped packet or datagram; returns NONE for the caller to return. */
  drop(reason: DropReason): TunnelOutput {
    this.#drops[reason]++;
    return NONE;
  }

  /** A packet WireGuard would not seal: dropped, and its error counted. */
  sealFailed(kind: string): TunnelOutput {
    this.wireguardError(kind);
    return this.drop("wireguard");
  }

  wireguardError(kind: string): void {
    this.#wireguardErrors[kind] = (this.#wireguardErrors[kind] ?? 0) + 1;
  }

  snapshot(): { drops: Readonly<DropCounts>; wireguardErrors: Readonly<Record<string, number>> } {
    return { drops: { ...this.#drops }, wireguardErrors: { ...this.#wireguardErrors } };
  }
}
