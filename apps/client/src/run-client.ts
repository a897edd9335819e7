import { formatIpAddress } from "@fz/ip-packet";
import { createAppLogger } from "@fz/log";
import {
  EXIT_CONFIG,
  isConfigError,
  loadConfigFile,
  startTunnelProcess,
  untilSignal,
} from "@fz/shell";
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
export async function runClient(options: RunOptions): Promise<number> {
  let config: ReturnType<typeof parseClientConfig>;
  try {
    config = await loadConfigFile(options.configPath, parseClientConfig);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    options.stderr(`firezone client: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  const { logger, logFile } = createAppLogger({ role: "client", logDir: config.logDir });
  const until = options.until ?? untilSignal();
  try {
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
    logger.info("client started", {
      tun: tunnel.device.name,
      udp_port: tunnel.udpPort,
      aead: tunnel.aead,
      gateways: config.gateways.map(
        (gateway) => `${gateway.id} ${gateway.endpoint.address}:${gateway.endpoint.port}`,
      ),
      resources: config.resources.map(
        (resource) => `${resource.id} ${formatIpNetwork(resource.network)}`,
      ),
      ...(logFile === undefined ? {} : { log_file: logFile }),
    });
    const reason = await until;
    logger.info("client stopping", {
      reason: String(reason),
      io: tunnel.driver.stats(),
      tunnel: tunnel.driver.coreStats(),
    });
    await tunnel.stop();
    return 0;
  } catch (error) {
    logger.error("client failed", { error });
    return 1;
  } finally {
    await logger.close();
  }
}
