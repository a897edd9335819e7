import type { Topology } from "@fz/netns";

/** A tunnel under test: brought up on a fresh topology, reporting the pids whose RSS counts. */
export interface TunnelImpl {
  readonly name: string;
  start(topology: Topology): Promise<RunningTunnel>;
}

export interface RunningTunnel {
  /** The processes that carry the tunnel: client side and gateway side. */
  readonly clientPid: number;
  readonly gatewayPid: number;
}
