import { dlopen, FFIType } from "bun:ffi";

/**
 * The libc socket calls the UDP path needs. As in `libc.ts`, every return type is i32 (byte
 * counts stay under 64 KiB, message counts under the batch size) so results are numbers, not
 * BigInts, and every pointer is a number from `ptr()` or the pool's base pointer plus an offset.
 */
const library = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  setsockopt: {
    args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
    returns: FFIType.i32,
  },
  getsockopt: {
    args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  recvmmsg: {
    args: [FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.i32, FFIType.ptr],
    returns: FFIType.i32,
  },
  sendmmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
});

export const sockets = library.symbols;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const SOL_UDP = 17;
export const UDP_SEGMENT = 103;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;

/**
 * x86_64 and aarch64 layouts (LP64): `struct msghdr` is 56 bytes, `struct mmsghdr` adds the
 * received or sent length and pads to 64; `struct iovec` is a pointer and a size_t.
 */
export const Msghdr = {
  Name: 0,
  NameLength: 8,
  Iov: 16,
  IovLength: 24,
  Control: 32,
  ControlLength: 40,
  Flags: 48,
  /** `msg_len` of the enclosing `struct mmsghdr`. */
  Length: 56,
} as const;
export const MMSGHDR_BYTES = 64;
export const IOVEC_BYTES = 16;
/** `CMSG_SPACE(sizeof(uint16_t))`: a 16-byte `struct cmsghdr` and the value, padded to 8. */
export const SEGMENT_CMSG_BYTES = 24;
/** `CMSG_LEN(sizeof(uint16_t))`. */
export const SEGMENT_CMSG_LENGTH = 18;
export const SOCKADDR_IN_BYTES = 16;
export const SOCKADDR_IN6_BYTES = 28;
