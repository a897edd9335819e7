import { BufferPool, PacketChannel } from "@fz/bufferpool";
import type { Logger } from "@fz/log";
import { TunDevice, type TunOptions, TunPacketIo, TunWriter } from "@fz/tun";
import type { AeadSetting } from "@fz/tunnel";
import type { AeadBackend, DiffieHellman } from "@fz/wireguard";
import { loadNativeX25519, selectAead } from "@fz/wireguard/native";
import {
  channelSource,
  type NameResolver,
  type TunnelCore,
  TunnelDriver,
} from "./tunnel-driver.ts";
import { openBunUdp, type UdpTransport } from "./udp-transport.ts";

/** The data-path AEAD and, when libcrypto is loaded for it anyway, its X25519 as well. */
export interface CoreCrypto {
  readonly aead: AeadBackend;
  readonly dh?: DiffieHellman;
}

export interface TunnelProcessOptions {
  readonly tun: TunOptions;
  /** UDP port to listen on; 0 picks a free one (the client). */
  readonly listenPort: number;
  readonly aead: AeadSetting;
  readonly logger: Logger;
  /** Builds the sans-IO core once the crypto backends are chosen; `now` is performance.now(). */
  readonly makeCore: (crypto: CoreCrypto, now: number) => TunnelCore;
  /** Runs the core's name lookups (the gateway's DNS resources). */
  readonly resolve?: NameResolver | undefined;
  /** Pool slots; default 1024 (1.4 MB): twice what the TUN channel holds. */
  readonly slots?: number;
}

export interface RunningTunnel {
  readonly device: TunDevice;
  readonly udpPort: number;
  readonly driver: TunnelDriver;
  readonly aead: string;
  /** Stops the I/O threads, closes the socket and removes the TUN device. */
  stop(): Promise<void>;
}

/**
 * Opens everything a tunnel process needs and joins it up: the AEAD backend, the TUN device and
 * its reader/writer Workers, the pool and channels, the UDP socket and the driver. If any step
 * fails, what was opened is closed again before the error goes up.
 */
export async function startTunnelProcess(options: TunnelProcessOptions): Promise<RunningTunnel> {
  const { backend, fallbackReason } = selectAead(options.aead);
  if (fallbackReason !== undefined) {
    options.logger.warn("native AEAD unavailable, using @noble/ciphers", {
      reason: fallbackReason,
    });
  }
  // OpenSSL's X25519 saves loading node:crypto (megabytes of RSS) when libcrypto is in use anyway.
  const dh = backend.name === "openssl" ? loadNativeX25519() : undefined;
  const core = options.makeCore(
    dh === undefined ? { aead: backend } : { aead: backend, dh },
    performance.now(),
  );
  const device = TunDevice.open(options.tun);
  const pool = BufferPool.create({ slotCount: options.slots ?? 1024 });
  const fromTun = PacketChannel.create(512);
  let io: TunPacketIo | undefined;
  let udp: UdpTransport | undefined;
  let dnsUdp: UdpTransport | undefined;
  try {
    io = await TunPacketIo.start(device, { pool, fromTun });
    const source = channelSource(fromTun);
    const tun = new TunWriter(device, pool);
    const driver = new TunnelDriver({
      core,
      pool,
      source,
      tun,
      logger: options.logger,
      resolve: options.resolve,
    });
    udp = await openBunUdp(options.listenPort, (datagram, from) =>
      driver.handleDatagram(datagram, from),
    );
    // Forwarded DNS queries leave from a socket of their own, outside the tunnel.
    if (driver.forwardsDns) {
      dnsUdp = await openBunUdp(0, (response, from) => driver.handleDnsResponse(response, from));
    }
    driver.start(udp, dnsUdp);
    const started = io;
    const socket = udp;
    const dnsSocket = dnsUdp;
    return {
      device,
      udpPort: udp.port,
      driver,
      aead: backend.name,
      async stop() {
        await driver.stop();
        socket.close();
        dnsSocket?.close();
        await started.stop();
        device.close();
      },
    };
  } catch (error) {
    udp?.close();
    dnsUdp?.close();
    await io?.stop();
    device.close();
    throw error;
  }
}
