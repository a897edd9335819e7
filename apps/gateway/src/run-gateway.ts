import { formatIpAddress } from "@fz/ip-packet";
import { createAppLogger } from "@fz/log";
import {
  EXIT_CONFIG,
  isConfigError,
  loadConfigFile,
  startTunnelProcess,
  untilSignal,
} from "@fz/shell";
import {
  formatIpNetwork,
  GatewayState,
  parseGatewayConfig,
  TUNNEL_V4_RANGE_TEXT,
  TUNNEL_V6_RANGE_TEXT,
} from "@fz/tunnel";
import { enableForwarding } from "./forwarding.ts";

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
export async function runGateway(options: RunOptions): Promise<number> {
  let config: ReturnType<typeof parseGatewayConfig>;
  try {
    config = await loadConfigFile(options.configPath, parseGatewayConfig);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    options.stderr(`firezone gateway: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  const { logger, logFile } = createAppLogger({ role: "gateway", logDir: config.logDir });
  const until = options.until ?? untilSignal();
  let forwarding: { undo(): void } | undefined;
  try {
    const tunnel = await startTunnelProcess({
      tun: {
        name: config.tunName,
        addresses: [
          `${formatIpAddress(config.tunnelIpv4)}/32`,
          `${formatIpAddress(config.tunnelIpv6)}/128`,
        ],
        routes: [TUNNEL_V4_RANGE_TEXT, TUNNEL_V6_RANGE_TEXT],
      },
      listenPort: config.listenPort,
      aead: config.aead,
      logger,
      makeCore: (aead, now) =>
        new GatewayState(config, { timeOriginMs: performance.timeOrigin, aead }, now),
    });
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
    logger.info("gateway started", {
      tun: tunnel.device.name,
      udp_port: tunnel.udpPort,
      aead: tunnel.aead,
      resources: config.resources.map(
        (resource) => `${resource.id} ${formatIpNetwork(resource.network)}`,
      ),
      clients: config.clients.map((client) => `${client.id} ${formatIpAddress(client.tunnelIpv4)}`),
      ...(logFile === undefined ? {} : { log_file: logFile }),
    });
    const reason = await until;
    logger.info("gateway stopping", {
      reason: String(reason),
      io: tunnel.driver.stats(),
      tunnel: tunnel.driver.coreStats(),
    });
    await tunnel.stop();
    return 0;
  } catch (error) {
    logger.error("gateway failed", { error });
    return 1;
  } finally {
    forwarding?.undo();
    await logger.close();
  }
}
