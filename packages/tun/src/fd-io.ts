import { Errno, errno, errnoName, libc } from "./linux/libc.ts";

/** `readPacket`: the descriptor has nothing to read now. */
export const WOULD_BLOCK = -1;
/** `readPacket`: the read failed for another reason than EAGAIN. */
export const READ_FAILED = -2;

/**
 * Reads one packet from a non-blocking descriptor (a TUN device gives one IP packet per read)
 * into native memory at `pointer`: its length, `WOULD_BLOCK` or `READ_FAILED`. EINTR retries.
 */
export function readPacket(fd: number, pointer: number, capacity: number): number {
  for (;;) {
    const length = libc.read(fd, pointer, capacity);
    if (length >= 0) return length;
    const code = errno();
    if (code === Errno.EINTR) continue;
    return code === Errno.EAGAIN ? WOULD_BLOCK : READ_FAILED;
  }
}

/** Writes `length` bytes at `pointer` as one packet; false when the kernel refused it. */
export function writePacket(fd: number, pointer: number, length: number): boolean {
  return libc.write(fd, pointer, length) === length;
}

/** The name of this thread's last error from a libc call (`EBADFD`, `ECONNREFUSED`, ...). */
export function lastErrorName(): string {
  return errnoName(errno());
}
