import { EXAMPLE_CLIENT_CONFIG, EXAMPLE_GATEWAY_CONFIG, startFirezone } from "@fz/e2e";
import type { TunnelImpl } from "./impl.ts";

/** Our `firezone gateway` and `firezone client`, run with the example configs. */
export const oursImpl: TunnelImpl = {
  name: "ours",
  async start(topology) {
    const gateway = await startFirezone(topology.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
    const client = await startFirezone(topology.client, "client", EXAMPLE_CLIENT_CONFIG);
    return { clientPid: client.process.pid, gatewayPid: gateway.process.pid };
  },
};
