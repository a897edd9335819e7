import { type AeadBackend, Device, type DiffieHellman, type RandomSource } from "@fz/wireguard";

/** What a state machine needs besides its configuration; the shell fills it in. */
export interface CoreOptions {
  /** Unix time in ms at `now = 0` (`performance.timeOrigin` when `now` is `performance.now()`). */
  readonly timeOriginMs: number;
  /** The data-path AEAD; the shell loads the native one, tests may leave the default (noble). */
  readonly aead?: AeadBackend;
  readonly dh?: DiffieHellman;
  readonly random?: RandomSource;
  /** Tunnel MTU; default 1280. */
  readonly mtu?: number;
}

/** The WireGuard device of a core, with the options the shell chose. */
export function createDevice(
  privateKey: Uint8Array,
  options: CoreOptions,
  maxStagedPackets?: number,
): Device {
  return new Device({
    privateKey,
    timeOriginMs: options.timeOriginMs,
    ...(maxStagedPackets === undefined ? {} : { maxStagedPackets }),
    ...(options.aead === undefined ? {} : { aead: options.aead }),
    ...(options.dh === undefined ? {} : { dh: options.dh }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
  });
}
