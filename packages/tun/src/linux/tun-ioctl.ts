import { ptr } from "bun:ffi";
import { libc } from "./libc.ts";

export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
/** Each read and write starts with a 10-byte virtio_net_hdr: checksum and segmentation offloads. */
export const IFF_VNET_HDR = 0x4000;
/** _IOW('T', 208, unsigned int): which offloads the device may hand us. */
export const TUNSETOFFLOAD = 0x400454d0;
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
/** Linux interface names hold 15 bytes and a terminating zero. */
export const IFNAMSIZ = 16;
const IFREQ_BYTES = 40;
const FLAGS_OFFSET = 16;

/**
 * Attaches `fd` (an open /dev/net/tun) to a TUN interface called `name` with
 * IFF_TUN | IFF_NO_PI: one IP packet per read and per write, after a virtio_net_hdr when
 * `vnetHeader`. Returns the name the kernel gave the interface (it expands a `%d` pattern), or
 * the errno.
 */
export function setInterface(
  fd: number,
  name: string,
  vnetHeader = false,
): { name: string } | { errno: number } {
  const ifreq = new Uint8Array(IFREQ_BYTES);
  ifreq.set(new TextEncoder().encode(name), 0);
  const flags = IFF_TUN | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0);
  new DataView(ifreq.buffer).setUint16(FLAGS_OFFSET, flags, true);
  if (libc.ioctl(fd, TUNSETIFF, ptr(ifreq)) < 0) return { errno: -1 };
  const end = ifreq.indexOf(0);
  return { name: new TextDecoder().decode(ifreq.subarray(0, end < 0 ? IFNAMSIZ : end)) };
}

/** Lets the kernel hand us TCP super-packets (TSO) and packets with checksums left to finish. */
export function enableTcpOffloads(fd: number): boolean {
  return libc.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) === 0;
}
