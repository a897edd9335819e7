import { ptr } from "bun:ffi";
import { libc } from "./libc.ts";

export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
/** Linux interface names hold 15 bytes and a terminating zero. */
export const IFNAMSIZ = 16;
const IFREQ_BYTES = 40;
const FLAGS_OFFSET = 16;

/**
 * Attaches `fd` (an open /dev/net/tun) to a TUN interface called `name` with
 * IFF_TUN | IFF_NO_PI: one bare IP packet per read and per write. Returns the name the kernel
 * gave the interface (it expands a `%d` pattern), or the errno.
 */
export function setInterface(fd: number, name: string): { name: string } | { errno: number } {
  const ifreq = new Uint8Array(IFREQ_BYTES);
  ifreq.set(new TextEncoder().encode(name), 0);
  new DataView(ifreq.buffer).setUint16(FLAGS_OFFSET, IFF_TUN | IFF_NO_PI, true);
  if (libc.ioctl(fd, TUNSETIFF, ptr(ifreq)) < 0) return { errno: -1 };
  const end = ifreq.indexOf(0);
  return { name: new TextDecoder().decode(ifreq.subarray(0, end < 0 ? IFNAMSIZ : end)) };
}
