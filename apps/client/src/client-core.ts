import type { BuiltCore, CoreCrypto } from "@fz/shell";
import { ClientState, parseClientConfig, type Upstream } from "@fz/tunnel";

/** What the data-plane Worker needs to build the client's core: the file's TOML, re-validated. */
export interface ClientCoreInput {
  readonly raw: unknown;
  readonly source: string;
  /** The upstream resolvers, read from the system's resolver files on the main thread. */
  readonly upstreamDns: readonly Upstream[];
}

/** Runs on the data-plane Worker: the client's sans-IO core, and its DNS sentinels for the shell. */
export function createTunnelCore(
  input: ClientCoreInput,
  crypto: CoreCrypto,
  now: number,
): BuiltCore {
  const config = parseClientConfig(input.raw, input.source);
  const core = new ClientState(
    { ...config, upstreamDns: input.upstreamDns },
    { timeOriginMs: performance.timeOrigin, ...crypto },
    now,
  );
  const servers = core.dnsServers();
  return { core, info: { sentinels: [...servers.ipv4, ...servers.ipv6] } };
}
