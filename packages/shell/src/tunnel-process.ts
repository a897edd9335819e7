import type { Logger } from "@fz/log";
import { TunDevice, type TunOptions, UdpSocket } from "@fz/tun";
import { DataPlane } from "./data-plane.ts";
import type { CoreSpec, NameResolver } from "./tunnel-core.ts";
import { UapiServer } from "./uapi-server.ts";

export interface TunnelProcessOptions {
  readonly tun: TunOptions;
  /** UDP port to listen on; 0 picks a free one (the client). */
  readonly listenPort: number;
  readonly logger: Logger;
  /** The sans-IO core, built on the data-plane Worker. */
  readonly core: CoreSpec;
  /** Whether the core forwards DNS queries, which then leave from a socket of their own. */
  readonly forwardsDns?: boolean;
  /** Runs the core's name lookups (the gateway's DNS resources). */
  readonly resolve?: NameResolver | undefined;
  /** UDP GSO for runs of equal datagrams; default true. */
  readonly gso?: boolean;
  /** Serve `wg show` and `firezone status` on `<socketDir>/<tun name>.sock`. */
  readonly status?: { readonly socketDir: string; readonly privateKey: Uint8Array };
}

export interface RunningTunnel {
  readonly device: TunDevice;
  readonly udpPort: number;
  readonly aead: string;
  /** What the core told about itself (`BuiltCore.info`). */
  readonly info: Record<string, unknown>;
  readonly dataPlane: DataPlane;
  /** The status socket's path, when it is served. */
  readonly statusSocket: string | undefined;
  /** What both apps log about the tunnel when it starts: device, port, AEAD, socket, offloads. */
  readonly details: Record<string, string | number>;
  /** Stops the data plane, closes the sockets and removes the TUN device. */
  stop(): Promise<void>;
}

/**
 * Opens everything a tunnel process needs and joins it up: the TUN device, the UDP socket (and
 * the DNS forwarding socket), and the data-plane Worker that owns them with the core. If any
 * step fails, what was opened is closed again before the error goes up.
 */
export async function startTunnelProcess(options: TunnelProcessOptions): Promise<RunningTunnel> {
  const device = TunDevice.open(options.tun);
  let udp: UdpSocket | undefined;
  let dnsUdp: UdpSocket | undefined;
  try {
    udp = UdpSocket.open({ port: options.listenPort });
    // Forwarded DNS queries leave from a socket of their own, outside the tunnel.
    if (options.forwardsDns === true) {
      dnsUdp = UdpSocket.open({ receiveBufferBytes: 1 << 20, sendBufferBytes: 1 << 20 });
    }
    const dataPlane = await DataPlane.start({
      core: options.core,
      tunFd: device.fd,
      udpFd: udp.fd,
      dnsFd: dnsUdp?.fd ?? -1,
      gso: options.gso ?? true,
      tunVnetHeader: device.vnetHeader,
      logger: options.logger,
      resolve: options.resolve,
    });
    const socket = udp;
    const dnsSocket = dnsUdp;
    const status =
      options.status === undefined
        ? undefined
        : await serveStatus(
            options.status,
            device.name,
            socket.local.port,
            dataPlane,
            options.logger,
          );
    return {
      device,
      udpPort: udp.local.port,
      aead: dataPlane.aead,
      info: dataPlane.info,
      dataPlane,
      statusSocket: status?.path,
      details: {
        tun: device.name,
        udp_port: udp.local.port,
        aead: dataPlane.aead,
        status_socket: status?.path ?? "none",
        tun_offload: device.tso ? "tso" : device.vnetHeader ? "refused" : "off",
      },
      async stop() {
        status?.close();
        await dataPlane.stop();
        socket.close();
        dnsSocket?.close();
        device.close();
      },
    };
  } catch (error) {
    udp?.close();
    dnsUdp?.close();
    device.close();
    throw error;
  }
}

async function serveStatus(
  settings: NonNullable<TunnelProcessOptions["status"]>,
  interfaceName: string,
  listenPort: number,
  dataPlane: DataPlane,
  logger: Logger,
): Promise<UapiServer | undefined> {
  try {
    return await UapiServer.start({
      dir: settings.socketDir,
      interfaceName,
      logger,
      device: async () => ({
        privateKey: settings.privateKey,
        listenPort,
        peers: (await dataPlane.peers()).map((peer) => ({
          publicKey: peer.publicKey,
          presharedKey: peer.presharedKey,
          endpoint: peer.endpoint,
          lastHandshakeUnixMs:
            peer.handshakeAgeMs === undefined ? undefined : Date.now() - peer.handshakeAgeMs,
          rxBytes: peer.rxBytes,
          txBytes: peer.txBytes,
          persistentKeepaliveSeconds: peer.persistentKeepaliveSeconds,
          allowedIps: peer.allowedIps,
        })),
      }),
    });
  } catch (error) {
    // The tunnel is worth more than its status socket.
    logger.warn(
      "cannot serve the status socket; set socket_dir to a directory this process may write",
      {
        dir: settings.socketDir,
        error,
      },
    );
    return undefined;
  }
}
