import { ptr } from "bun:ffi";
import { Errno, errno, errnoName, libc } from "./linux/libc.ts";
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
  sockets,
} from "./linux/socket-calls.ts";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  SOCKET_ADDRESS_BYTES,
  type SocketAddress,
} from "./socket-address.ts";
import { UdpSocketError } from "./udp-errors.ts";

/** Firezone's receive buffer: bursts from many peers queue here while the event loop is busy. */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 16 * 1024 * 1024;
export const DEFAULT_SEND_BUFFER_BYTES = 2 * 1024 * 1024;
/** Binds to every address of both families on one socket. */
export const DUAL_STACK_ADDRESS = "::";

export interface UdpSocketOptions {
  /**
   * Local address: `::` (the default) is one dual-stack socket for IPv4 and IPv6 peers alike,
   * `0.0.0.0` IPv4 only; a single address binds to it alone. Without IPv6 in the kernel, `::`
   * falls back to `0.0.0.0`.
   */
  readonly address?: string;
  /** Local port; 0 (the default) lets the kernel pick one. */
  readonly port?: number;
  /** SO_RCVBUF to ask for. Default 16 MiB (forced past net.core.rmem_max when root). */
  readonly receiveBufferBytes?: number;
  /** SO_SNDBUF to ask for. Default 2 MiB (forced past net.core.wmem_max when root). */
  readonly sendBufferBytes?: number;
}

export interface SocketBufferSizes {
  /** What the kernel reports back (it doubles the request for its own bookkeeping). */
  readonly receiveBufferBytes: number;
  readonly sendBufferBytes: number;
}

/**
 * A UDP socket opened through bun:ffi, bound and with large buffers, for a `DatagramReceiver`
 * and `DatagramSender` (the shells' data-plane Worker) or `UdpPacketIo`. The default is one
 * AF_INET6 socket with IPV6_V6ONLY off: it serves IPv4 and IPv6 peers, so one poll covers both
 * families and a peer sees one local port whichever family it uses. The socket stays blocking:
 * sendmmsg blocks when the send buffer is full (backpressure without spinning), and receives
 * use MSG_DONTWAIT after a poll.
 */
export class UdpSocket {
  readonly fd: number;
  /** 6 for an AF_INET6 socket (dual-stack when bound to `::`), 4 for AF_INET. */
  readonly family: 4 | 6;
  /** The bound address and port (the kernel's choice when port 0 was asked for). */
  readonly local: SocketAddress;
  readonly buffers: SocketBufferSizes;
  #closed = false;

  static open(options: UdpSocketOptions = {}): UdpSocket {
    const requested = options.address ?? DUAL_STACK_ADDRESS;
    const port = options.port ?? 0;
    const family: 4 | 6 = requested.includes(":") ? 6 : 4;
    const record = encodeSocketAddress({ family, address: requested, port });
    if (record === undefined) {
      throw new UdpSocketError(
        `invalid local address '${requested}' or port ${port}: use an IP address like :: or 198.18.0.1 and a port from 0 to 65535`,
      );
    }
    let fd = sockets.socket(family === 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    let bound: { family: 4 | 6; record: Uint8Array } = { family, record };
    if (fd < 0 && errno() === Errno.EAFNOSUPPORT && options.address === undefined) {
      bound = {
        family: 4,
        record: encodeSocketAddress({ family: 4, address: "0.0.0.0", port }) ?? record,
      };
      fd = sockets.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) throw new UdpSocketError(`socket(): ${errnoName(errno())}`);
    try {
      if (bound.family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
      const buffers = setSocketBufferSizes(fd, {
        receiveBufferBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
        sendBufferBytes: options.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES,
      });
      if (sockets.bind(fd, ptr(bound.record), SOCKET_ADDRESS_BYTES) < 0) {
        throw bindFailure(requested, port, errno());
      }
      return new UdpSocket(fd, bound.family, localAddressOf(fd), buffers);
    } catch (error) {
      libc.close(fd);
      throw error;
    }
  }

  private constructor(fd: number, family: 4 | 6, local: SocketAddress, buffers: SocketBufferSizes) {
    this.fd = fd;
    this.family = family;
    this.local = local;
    this.buffers = buffers;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the descriptor; stop the `UdpPacketIo` using it first. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc.close(this.fd);
  }
}

/**
 * Sets SO_RCVBUF and SO_SNDBUF on any UDP descriptor (also a `Bun.udpSocket`'s `fd`): first the
 * FORCE variants, which pass net.core.rmem_max/wmem_max but need CAP_NET_ADMIN, then the plain
 * ones, which the kernel caps at those limits. Returns what the kernel then reports.
 */
export function setSocketBufferSizes(
  fd: number,
  sizes: { readonly receiveBufferBytes: number; readonly sendBufferBytes: number },
): SocketBufferSizes {
  for (const [force, plain, bytes, name] of [
    [SO_RCVBUFFORCE, SO_RCVBUF, sizes.receiveBufferBytes, "SO_RCVBUF"],
    [SO_SNDBUFFORCE, SO_SNDBUF, sizes.sendBufferBytes, "SO_SNDBUF"],
  ] as const) {
    if (!tryIntOption(fd, SOL_SOCKET, force, bytes))
      setIntOption(fd, SOL_SOCKET, plain, bytes, name);
  }
  return {
    receiveBufferBytes: getIntOption(fd, SOL_SOCKET, SO_RCVBUF),
    sendBufferBytes: getIntOption(fd, SOL_SOCKET, SO_SNDBUF),
  };
}

function tryIntOption(fd: number, level: number, name: number, value: number): boolean {
  const cell = Int32Array.of(value);
  return sockets.setsockopt(fd, level, name, ptr(cell), 4) === 0;
}

function setIntOption(fd: number, level: number, name: number, value: number, label: string): void {
  if (!tryIntOption(fd, level, name, value)) {
    throw new UdpSocketError(`setsockopt(${label}, ${value}): ${errnoName(errno())}`);
  }
}

function getIntOption(fd: number, level: number, name: number): number {
  const cell = new Int32Array(2);
  cell[1] = 4;
  if (sockets.getsockopt(fd, level, name, ptr(cell), ptr(cell, 4)) < 0) {
    throw new UdpSocketError(`getsockopt(${name}): ${errnoName(errno())}`);
  }
  return cell[0] ?? 0;
}

function localAddressOf(fd: number): SocketAddress {
  const record = new Uint8Array(SOCKET_ADDRESS_BYTES);
  const length = Int32Array.of(SOCKET_ADDRESS_BYTES);
  if (sockets.getsockname(fd, ptr(record), ptr(length)) < 0) {
    throw new UdpSocketError(`getsockname(): ${errnoName(errno())}`);
  }
  const local = decodeSocketAddress(record);
  if (local === undefined) throw new UdpSocketError("getsockname() returned no IP address");
  return local;
}

function bindFailure(address: string, port: number, code: number): UdpSocketError {
  const cause = new Error(errnoName(code));
  const where = `bind to ${address.includes(":") ? `[${address}]` : address}:${port}`;
  if (code === Errno.EADDRINUSE) {
    return new UdpSocketError(`${where}: the port is in use by another socket`, cause);
  }
  if (code === Errno.EADDRNOTAVAIL) {
    return new UdpSocketError(`${where}: no interface has this address`, cause);
  }
  if (code === Errno.EACCES) {
    return new UdpSocketError(
      `${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE`,
      cause,
    );
  }
  return new UdpSocketError(`${where}: ${errnoName(code)}`, cause);
}
