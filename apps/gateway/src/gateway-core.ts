import type { BuiltCore, CoreCrypto } from "@fz/shell";
import { GatewayState, parseGatewayConfig } from "@fz/tunnel";

/** What the data-plane Worker needs to build the gateway's core: the file's TOML, re-validated. */
export interface GatewayCoreInput {
  readonly raw: unknown;
  readonly source: string;
}

/** Runs on the data-plane Worker: the gateway's sans-IO core. */
export function createTunnelCore(
  input: GatewayCoreInput,
  crypto: CoreCrypto,
  now: number,
): BuiltCore {
  const config = parseGatewayConfig(input.raw, input.source);
  return {
    core: new GatewayState(config, { timeOriginMs: performance.timeOrigin, ...crypto }, now),
  };
}
