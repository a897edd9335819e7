import type { CreateTunnelCore } from "../tunnel-core.ts";

/** A core module whose builder fails, for the data plane's start-failure test. */
export const createTunnelCore: CreateTunnelCore = () => {
  throw new Error("bad core for test");
};
