import { formatIpAddress, type IpAddress } from "@fz/ip-packet";
import { runApp, startTunnelProcess } from "@fz/shell";
import { DNS_ROUTES, formatHostPort, formatIpNetwork, parseClientConfig } from "@fz/tunnel/config";
import type { ClientCoreInput } from "./client-core.ts";
import { pointResolvedAt, resolvedUpstreamsFile, usesResolved } from "./resolved.ts";
import {
  pointSystemResolverAt,
  readNameservers,
  SYSTEM_RESOLV_CONF,
  type SystemResolverOverride,
} from "./system-resolver.ts";

export interface RunOptions {
  readonly configPath: string;
  readonly stderr: (text: string) => void;
  /** Resolves when the client should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown>;
  /** The system's resolver file, read for upstreams and rewritten; default /etc/resolv.conf. */
  readonly resolvConfPath?: string;
  /** resolvectl to run when systemd-resolved manages DNS; default the one on PATH. */
  readonly resolvectl?: string;
  /** systemd-resolved's run directory; only tests change it. */
  readonly resolvedRunDir?: string;
}

/**
 * `firezone client --config FILE`: brings up the TUN device with the client's tunnel addresses
 * and a route per resource and for DNS (sentinels and proxy IPs), points the system's resolver
 * at the sentinels when `set_system_resolver` is on, and carries those packets to the gateways
 * until told to stop; then puts the resolver file back. Returns the exit status.
 */
export function runClient(options: RunOptions): Promise<number> {
  const resolvConf = options.resolvConfPath ?? SYSTEM_RESOLV_CONF;
  return runApp({
    role: "client",
    configPath: options.configPath,
    stderr: options.stderr,
    until: options.until,
    parse: parseClientConfig,
    async start(config, logger, raw) {
      const resolvedOptions = { resolvectl: options.resolvectl, runDir: options.resolvedRunDir };
      const resolved = usesResolved(resolvConf, resolvedOptions);
      // Under systemd-resolved, resolv.conf lists its stub; its own file lists the real servers.
      const upstreamFile = resolved ? resolvedUpstreamsFile(resolvedOptions) : resolvConf;
      const fromResolvConf = config.upstreamDns.length === 0;
      const upstreamDns = fromResolvConf ? readNameservers(upstreamFile) : config.upstreamDns;
      const tunnel = await startTunnelProcess({
        tun: {
          name: config.tunName,
          offload: config.tunOffload,
          addresses: [
            `${formatIpAddress(config.tunnelIpv4)}/32`,
            `${formatIpAddress(config.tunnelIpv6)}/128`,
          ],
          routes: [
            ...config.resources.map((resource) => formatIpNetwork(resource.network)),
            ...DNS_ROUTES.map(formatIpNetwork),
          ],
        },
        listenPort: 0,
        logger,
        core: {
          module: new URL("./client-core.ts", import.meta.url).href,
          input: { raw, source: options.configPath, upstreamDns } satisfies ClientCoreInput,
          aead: config.aead,
        },
        forwardsDns: true,
        status: { socketDir: config.socketDir, privateKey: config.privateKey },
      });
      let override: SystemResolverOverride | undefined;
      try {
        if (config.setSystemResolver) {
          const sentinels = tunnel.info.sentinels as readonly IpAddress[];
          override = resolved
            ? pointResolvedAt(tunnel.device.name, sentinels, resolvedOptions)
            : pointSystemResolverAt(resolvConf, sentinels);
          logger.info("system resolver pointed at the sentinels", {
            path: override.path,
            nameservers: override.servers,
          });
        }
      } catch (error) {
        override?.restore();
        await tunnel.stop();
        throw error;
      }
      const pointed = override;
      return {
        details: {
          ...tunnel.details,
          gateways: config.gateways.map((g) => `${g.id} ${formatHostPort(g.endpoint)}`),
          resources: config.resources.map((r) => `${r.id} ${formatIpNetwork(r.network)}`),
          dns_resources: config.dnsResources.map((r) => `${r.id} ${r.pattern.text} ${r.gateway}`),
          upstream_dns: upstreamDns.map(formatHostPort),
          upstream_dns_from: fromResolvConf ? upstreamFile : "config",
          system_resolver: pointed === undefined ? "unchanged" : pointed.path,
        },
        stats: () => tunnel.dataPlane.stats(),
        failure: tunnel.dataPlane.failure,
        async stop() {
          try {
            await tunnel.stop();
          } finally {
            if (pointed !== undefined) {
              pointed.restore();
              logger.info("system resolver restored", { path: pointed.path });
            }
          }
        },
      };
    },
  });
}
