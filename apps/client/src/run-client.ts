import { formatIpAddress } from "@fz/ip-packet";
import { runApp, startTunnelProcess } from "@fz/shell";
import { ClientState, formatIpNetwork, parseClientConfig } from "@fz/tunnel";

export interface RunOptions {
  readonly configPath: string;
  readonly stderr: (text: string) => void;
  /** Resolves when the client should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown>;
}

/**
 * `firezone client --config FILE`: brings up the TUN device with the client's tunnel addresses
 * and a route per resource, and carries those packets to the gateways until told to stop.
 * Returns the exit status.
 */
export function runClient(options: RunOptions): Promise<number> {
  return runApp({
    role: "client",
    configPath: options.configPath,
    stderr: options.stderr,
    until: options.until,
    parse: parseClientConfig,
    async start(config, logger) {
      const tunnel = await startTunnelProcess({
        tun: {
          name: config.tunName,
          addresses: [
            `${formatIpAddress(config.tunnelIpv4)}/32`,
            `${formatIpAddress(config.tunnelIpv6)}/128`,
          ],
          routes: config.resources.map((resource) => formatIpNetwork(resource.network)),
        },
        listenPort: 0,
        aead: config.aead,
        logger,
        makeCore: (aead, now) =>
          new ClientState(config, { timeOriginMs: performance.timeOrigin, aead }, now),
      });
      return {
        details: {
          tun: tunnel.device.name,
          udp_port: tunnel.udpPort,
          aead: tunnel.aead,
          gateways: config.gateways.map((g) => `${g.id} ${g.endpoint.address}:${g.endpoint.port}`),
          resources: config.resources.map((r) => `${r.id} ${formatIpNetwork(r.network)}`),
        },
        stats: () => ({ io: tunnel.driver.stats(), tunnel: tunnel.driver.coreStats() }),
        stop: () => tunnel.stop(),
      };
    },
  });
}
