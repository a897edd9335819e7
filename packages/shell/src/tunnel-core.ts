import type {
  AeadSetting,
  DnsQuery,
  PeerStatus,
  ResolveRequest,
  Transmit,
  TunnelEvent,
  TunnelOutput,
  Upstream,
} from "@fz/tunnel";
import type { AeadBackend, DiffieHellman, Endpoint } from "@fz/wireguard";

/** What the client's and the gateway's sans-IO cores have in common. */
export interface TunnelCore {
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput;
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput;
  handleTimeout(now: number): void;
  pollTimeout(): number | undefined;
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined;
  pollEvent(): TunnelEvent | undefined;
  pollPacket?(): Uint8Array | undefined;
  stats(): object;
  /** Each peer as `wg show` describes it. */
  peers(now: number): readonly PeerStatus[];
  /** The client's DNS forwards: queries for its upstream servers, sent outside the tunnel. */
  pollDnsQuery?(): DnsQuery | undefined;
  handleDnsResponse?(upstream: Upstream, response: Uint8Array, now: number): void;
  /** The gateway's name lookups for DNS resources, run with its resolver. */
  pollResolve?(): ResolveRequest | undefined;
  handleResolved?(id: number, addresses: ResolvedAddresses, now: number): void;
}

/** A lookup's answer: IPv4 addresses as u32, IPv6 as 16 bytes; "failed" for errors. */
export type ResolvedAddresses = readonly (number | Uint8Array)[] | "failed";

/** Looks a name up (A for family 4, AAAA for 6); never rejects. */
export type NameResolver = (name: string, family: 4 | 6) => Promise<ResolvedAddresses>;

/** The data-path AEAD and, when libcrypto is loaded for it anyway, its X25519 as well. */
export interface CoreCrypto {
  readonly aead: AeadBackend;
  readonly dh?: DiffieHellman;
}

/** A core and what the shell may want to know about it (structured-cloneable). */
export interface BuiltCore {
  readonly core: TunnelCore;
  readonly info?: Record<string, unknown>;
}

/**
 * How the data-plane Worker builds its core: `module` (a URL) exports `createTunnelCore(input,
 * crypto, now)` returning a `BuiltCore`; `input` crosses to the Worker by structured clone.
 */
export interface CoreSpec {
  readonly module: string;
  readonly input: unknown;
  readonly aead: AeadSetting;
}

export type CreateTunnelCore = (input: never, crypto: CoreCrypto, now: number) => BuiltCore;
