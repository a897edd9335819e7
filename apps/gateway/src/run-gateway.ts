import { formatIpAddress } from "@fz/ip-packet";
import { runApp, startTunnelProcess } from "@fz/shell";
import {
  formatHostPort,
  formatIpNetwork,
  parseGatewayConfig,
  TUNNEL_V4_RANGE_TEXT,
  TUNNEL_V6_RANGE_TEXT,
} from "@fz/tunnel/config";
import { enableForwarding } from "./forwarding.ts";
import type { GatewayCoreInput } from "./gateway-core.ts";
import { nodeNameResolver } from "./name-resolver.ts";

export interface RunOptions {
  readonly configPath: string;
  readonly stderr: (text: string) => void;
  /** Resolves when the gateway should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown>;
}

/**
 * `firezone gateway --config FILE`: listens for its clients on UDP, turns on forwarding with a
 * masquerade towards the resources, and carries each client's allowed traffic until told to
 * stop; then removes what it added. Returns the exit status.
 */
export function runGateway(options: RunOptions): Promise<number> {
  return runApp({
    role: "gateway",
    configPath: options.configPath,
    stderr: options.stderr,
    until: options.until,
    parse: parseGatewayConfig,
    async start(config, logger, raw) {
      const tunnel = await startTunnelProcess({
        tun: {
          name: config.tunName,
          offload: config.tunOffload,
          addresses: [
            `${formatIpAddress(config.tunnelIpv4)}/32`,
            `${formatIpAddress(config.tunnelIpv6)}/128`,
          ],
          routes: [TUNNEL_V4_RANGE_TEXT, TUNNEL_V6_RANGE_TEXT],
        },
        listenPort: config.listenPort,
        logger,
        resolve: nodeNameResolver(config.dnsResolver),
        status: { socketDir: config.socketDir, privateKey: config.privateKey },
        core: {
          module: new URL("./gateway-core.ts", import.meta.url).href,
          input: { raw, source: options.configPath } satisfies GatewayCoreInput,
          aead: config.aead,
        },
      });
      let forwarding: { undo(): void };
      try {
        forwarding = enableForwarding({
          tunName: tunnel.device.name,
          egressInterface: config.egressInterface,
          tunnelRanges: { v4: TUNNEL_V4_RANGE_TEXT, v6: TUNNEL_V6_RANGE_TEXT },
          logger,
        });
      } catch (error) {
        await tunnel.stop();
        throw error;
      }
      return {
        details: {
          ...tunnel.details,
          resources: config.resources.map((r) => `${r.id} ${formatIpNetwork(r.network)}`),
          dns_resources: config.dnsResources.map((r) => `${r.id} ${r.pattern.text}`),
          dns_resolver:
            config.dnsResolver === undefined ? "system" : formatHostPort(config.dnsResolver),
          clients: config.clients.map((c) => `${c.id} ${formatIpAddress(c.tunnelIpv4)}`),
        },
        stats: () => tunnel.dataPlane.stats(),
        failure: tunnel.dataPlane.failure,
        async stop() {
          try {
            await tunnel.stop();
          } finally {
            forwarding.undo();
          }
        },
      };
    },
  });
}
