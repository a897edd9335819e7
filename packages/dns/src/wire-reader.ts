import type { DecodeError, Section } from "./errors.ts";

/**
 * Decoding state over one message: the bytes, a cursor, the section being read (for errors) and
 * the first error met. Readers return `undefined` after recording an error here.
 */
export class WireReader {
  pos = 0;
  section: Section = "header";
  error: DecodeError | undefined = undefined;

  constructor(readonly bytes: Uint8Array) {}

  fail(error: DecodeError): undefined {
    this.error = error;
    return undefined;
  }

  truncated(offset: number): undefined {
    return this.fail({ kind: "truncated", section: this.section, offset });
  }

  u16(at: number): number {
    const bytes = this.bytes;
    return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  }

  u32(at: number): number {
    const bytes = this.bytes;
    return (
      (((bytes[at] ?? 0) << 24) |
        ((bytes[at + 1] ?? 0) << 16) |
        ((bytes[at + 2] ?? 0) << 8) |
        (bytes[at + 3] ?? 0)) >>>
      0
    );
  }
}
