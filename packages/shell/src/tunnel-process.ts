import { BufferPool, PacketChannel } from "@fz/bufferpool";
import type { Logger } from "@fz/log";
import { TunDevice, type TunOptions, TunPacketIo, TunWriter } from "@fz/tun";
import type { AeadSetting } from "@fz/tunnel";
import type { AeadBackend } from "@fz/wireguard";
import { selectAead } from "@fz/wireguard/native";
import { channelSource, type TunnelCore, TunnelDriver } from "./tunnel-driver.ts";
import { openBunUdp } from "./udp-transport.ts";

export interface TunnelProcessOptions {
  readonly tun: TunOptions;
  /** UDP port to listen on; 0 picks a free one (the client). */
  readonly listenPort: number;
  readonly aead: AeadSetting;
  readonly logger: Logger;
  /** Builds the sans-IO core once the AEAD backend is chosen; `now` is performance.now(). */
  readonly makeCore: (aead: AeadBackend, now: number) => TunnelCore;
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
  const core = options.makeCore(backend, performance.now());
  const device = TunDevice.open(options.tun);
  const pool = BufferPool.create({ slotCount: options.slots ?? 1024 });
  const fromTun = PacketChannel.create(512);
  let io: TunPacketIo | undefined;
  try {
    io = await TunPacketIo.start(device, { pool, fromTun });
    const source = channelSource(fromTun);
    const tun = new TunWriter(device, pool);
    const driver = new TunnelDriver({ core, pool, source, tun, logger: options.logger });
    const udp = await openBunUdp(options.listenPort, (datagram, from) =>
      driver.handleDatagram(datagram, from),
    );
    driver.start(udp);
    const started = io;
    return {
      device,
      udpPort: udp.port,
      driver,
      aead: backend.name,
      async stop() {
        await driver.stop();
        udp.close();
        await started.stop();
        device.close();
      },
    };
  } catch (error) {
    await io?.stop();
    device.close();
    throw error;
  }
}
