import { CompressionTable } from "./compression-table.ts";
import type { EncodeError } from "./errors.ts";

/**
 * Encoding state over one output buffer: a cursor, the first error, and the compression table.
 * Writers check room with `reserve` and return false after recording an error here.
 */
export class WireWriter {
  bytes: Uint8Array = EMPTY;
  pos = 0;
  error: EncodeError | undefined = undefined;
  /** Whether names in compressible positions may point at earlier names. */
  compress = true;
  /** Where the name suffixes written so far start, for compression. */
  readonly names = new CompressionTable();
  /** The last name written or pointed to, and where a pointer to all of it should go (-1: none). */
  lastName = "";
  lastTarget = -1;

  /** Starts a new message in `bytes`. */
  reset(bytes: Uint8Array, compress: boolean): void {
    this.bytes = bytes;
    this.pos = 0;
    this.error = undefined;
    this.compress = compress;
    this.names.clear();
    this.lastName = "";
    this.lastTarget = -1;
  }

  fail(error: EncodeError): false {
    this.error = error;
    return false;
  }

  /** True when `count` more bytes fit; otherwise records `buffer-too-small`. */
  reserve(count: number): boolean {
    if (this.pos + count <= this.bytes.length) return true;
    return this.fail({ kind: "buffer-too-small", capacity: this.bytes.length });
  }

  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }

  u16(value: number): void {
    const bytes = this.bytes;
    bytes[this.pos] = value >>> 8;
    bytes[this.pos + 1] = value;
    this.pos += 2;
  }

  u32(value: number): void {
    const bytes = this.bytes;
    const pos = this.pos;
    bytes[pos] = value >>> 24;
    bytes[pos + 1] = value >>> 16;
    bytes[pos + 2] = value >>> 8;
    bytes[pos + 3] = value;
    this.pos = pos + 4;
  }

  setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  /** Copies the first `count` bytes of `source` (all of it by default). */
  raw(source: Uint8Array, count: number = source.length): void {
    const bytes = this.bytes;
    const pos = this.pos;
    // A loop beats set() for the few bytes of a name or an address.
    if (count < 64) for (let i = 0; i < count; i++) bytes[pos + i] = source[i] ?? 0;
    else bytes.set(count === source.length ? source : source.subarray(0, count), pos);
    this.pos = pos + count;
  }
}

const EMPTY = new Uint8Array(0);
