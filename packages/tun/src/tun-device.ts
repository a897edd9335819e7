import { existsSync } from "node:fs";
import { type Cidr, parseCidr } from "./cidr.ts";
import { TunOpenError, TunPermissionError, TunUnavailableError } from "./errors.ts";
import { addAddress, addRoute, setMtu, setUp } from "./ip-command.ts";
import { Errno, errno, errnoName, libc, O_CLOEXEC, O_NONBLOCK, O_RDWR } from "./linux/libc.ts";
import { enableTcpOffloads, IFNAMSIZ, setInterface } from "./linux/tun-ioctl.ts";

export const DEFAULT_TUN_NAME = "tun-firezone";
export const DEFAULT_TUN_MTU = 1280;
export const TUN_DEVICE_PATH = "/dev/net/tun";

export interface TunOptions {
  /** Interface name, at most 15 bytes. Default `tun-firezone`. */
  readonly name?: string;
  /** Default 1280, Firezone's tunnel MTU. */
  readonly mtu?: number;
  /** The interface's own addresses, `100.64.0.1/32` or `fd00:2021:1111::1/128`. */
  readonly addresses?: readonly string[];
  /** Destinations routed into the interface, as CIDRs. */
  readonly routes?: readonly string[];
  /** The clone device; only tests change it. */
  readonly devicePath?: string;
  /**
   * Ask for TCP segmentation and checksum offloads (IFF_VNET_HDR + TUNSETOFFLOAD): reads may
   * then be TCP super-packets of up to 64 KiB, and every read and write carries a 10-byte
   * virtio_net_hdr first. Default false.
   */
  readonly offload?: boolean;
}

/**
 * A Linux TUN interface (IFF_TUN | IFF_NO_PI: each read and write is one bare IP packet),
 * opened non-blocking through bun:ffi and configured with its MTU, addresses and routes.
 * The interface lives as long as the file descriptor: `close()` removes it, addresses and
 * routes with it. Packets move with `readPacket`/`writePacket` on `fd` (the shells' data-plane
 * Worker) or through `TunPacketIo`'s Workers.
 */
export class TunDevice {
  readonly fd: number;
  readonly name: string;
  readonly mtu: number;
  /** Every read and write starts with a 10-byte virtio_net_hdr. */
  readonly vnetHeader: boolean;
  /** Reads may be TCP super-packets to segment (TSO4/TSO6 on). */
  readonly tso: boolean;
  #closed = false;

  static open(options: TunOptions = {}): TunDevice {
    const name = options.name ?? DEFAULT_TUN_NAME;
    const mtu = options.mtu ?? DEFAULT_TUN_MTU;
    const devicePath = options.devicePath ?? TUN_DEVICE_PATH;
    const addresses = (options.addresses ?? []).map((text) => requireCidr("addresses", text));
    const routes = (options.routes ?? []).map((text) => requireCidr("routes", text));
    if (new TextEncoder().encode(name).length >= IFNAMSIZ || name.length === 0) {
      throw new TunOpenError(`invalid name '${name}': use 1 to ${IFNAMSIZ - 1} bytes`);
    }
    if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
      throw new TunOpenError(`invalid mtu ${mtu}: use a whole number from 576 to 65535`);
    }
    if (!existsSync(devicePath)) throw new TunUnavailableError(devicePath);

    const fd = libc.open(Buffer.from(`${devicePath}\0`), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw openFailure(`open ${devicePath}`, errno(), devicePath);
    const vnetHeader = options.offload === true;
    const attached = setInterface(fd, name, vnetHeader);
    if ("errno" in attached) {
      const code = errno();
      libc.close(fd);
      throw openFailure(`create TUN interface '${name}'`, code, devicePath);
    }
    // Without TSO (an old kernel) the headers stay, and simply never ask for segmentation.
    const tso = vnetHeader && enableTcpOffloads(fd);
    const device = new TunDevice(fd, attached.name, mtu, vnetHeader, tso);
    try {
      device.#configure(addresses, routes);
    } catch (error) {
      device.close();
      throw error;
    }
    return device;
  }

  private constructor(fd: number, name: string, mtu: number, vnetHeader: boolean, tso: boolean) {
    this.fd = fd;
    this.name = name;
    this.mtu = mtu;
    this.vnetHeader = vnetHeader;
    this.tso = tso;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the descriptor; the kernel then removes the interface. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc.close(this.fd);
  }

  #configure(addresses: readonly Cidr[], routes: readonly Cidr[]): void {
    setMtu(this.name, this.mtu);
    for (const address of addresses) addAddress(this.name, address);
    setUp(this.name);
    for (const route of routes) addRoute(this.name, route);
  }
}

function requireCidr(field: string, text: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr === undefined) {
    throw new TunOpenError(
      `invalid ${field} entry '${text}': use an address with a prefix, like 100.64.0.1/32 or fd00::1/128`,
    );
  }
  return cidr;
}

function openFailure(what: string, code: number, devicePath: string): Error {
  const cause = new Error(errnoName(code));
  if (code === Errno.EPERM || code === Errno.EACCES) return new TunPermissionError(what, cause);
  if (code === Errno.ENOENT || code === Errno.ENODEV || code === Errno.ENXIO) {
    return new TunUnavailableError(devicePath, cause);
  }
  if (code === Errno.EBUSY) {
    return new TunOpenError(`${what}: the interface is in use by another process (EBUSY)`, cause);
  }
  return new TunOpenError(`${what}: ${errnoName(code)}`, cause);
}
