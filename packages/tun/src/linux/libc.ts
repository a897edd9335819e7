import { dlopen, FFIType, read } from "bun:ffi";

/**
 * The few libc calls the TUN device needs. Return types are i32 so that results stay numbers
 * (an i64 return comes back as a BigInt); every call here returns an int or a byte count that
 * fits. Pointers are passed as numbers from `ptr()`, never as typed arrays.
 */
const library = dlopen("libc.so.6", {
  open: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  writev: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});

export const libc = library.symbols;

export function errno(): number {
  const location = libc.__errno_location();
  return location === null ? 0 : read.i32(location, 0);
}

/** errno values the TUN device and the socket calls tell apart or name in errors. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  EBADFD: 77,
  EMSGSIZE: 90,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNREFUSED: 111,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Errno).map(([name, code]) => [code, name]),
);

/** Names an errno, such as `EADDRINUSE`, or `errno 42` for one not in `Errno`. */
export function errnoName(code: number): string {
  return NAMES[code] ?? `errno ${code}`;
}

export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const POLLIN = 0x001;
