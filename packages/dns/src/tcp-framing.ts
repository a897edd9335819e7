import { MAX_MESSAGE_BYTES } from "./constants.ts";
import type { EncodeError } from "./errors.ts";

/** The 2-byte big-endian length before each message on a DNS-over-TCP stream (RFC 1035 4.2.2). */
export const TCP_LENGTH_BYTES = 2;

/** Prefixes one encoded message with its length, as sent on a TCP stream (RFC 7766 8). */
export function encodeTcpFrame(message: Uint8Array): Uint8Array | EncodeError {
  if (message.length > MAX_MESSAGE_BYTES) {
    return { kind: "message-too-long", limit: MAX_MESSAGE_BYTES };
  }
  const frame = new Uint8Array(TCP_LENGTH_BYTES + message.length);
  frame[0] = message.length >>> 8;
  frame[1] = message.length & 0xff;
  frame.set(message, TCP_LENGTH_BYTES);
  return frame;
}

/**
 * Reassembles the messages of one DNS-over-TCP stream from chunks as they arrive: `push` every
 * chunk read, then `poll` until it returns undefined. Chunks may split messages and length
 * prefixes anywhere and may hold several messages.
 *
 * A message that lies inside one chunk is returned as a view of that chunk; one spread over
 * chunks is copied into a new buffer. Pushed chunks are kept, not copied, until their bytes have
 * been returned, so a caller that reuses its read buffer must push a copy.
 */
export class TcpFrameDecoder {
  #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already returned. */
  #consumed = 0;
  #buffered = 0;

  /** Bytes pushed and not yet returned in a message (a partial message or prefix). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds the next bytes of the stream. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete message without its length prefix, or undefined until more arrives. */
  poll(): Uint8Array | undefined {
    if (this.#buffered < TCP_LENGTH_BYTES) return undefined;
    const length = (this.#peekByte(0) << 8) | this.#peekByte(1);
    if (this.#buffered < TCP_LENGTH_BYTES + length) return undefined;
    this.#skip(TCP_LENGTH_BYTES);
    return this.#take(length);
  }

  #peekByte(index: number): number {
    let at = this.#consumed + index;
    for (const chunk of this.#chunks) {
      if (at < chunk.length) return chunk[at] ?? 0;
      at -= chunk.length;
    }
    return 0;
  }

  #skip(count: number): void {
    let remaining = count;
    while (remaining > 0) {
      const head = this.#chunks[0];
      if (head === undefined) return;
      const available = head.length - this.#consumed;
      const step = Math.min(available, remaining);
      this.#advance(head, step);
      remaining -= step;
    }
  }

  #take(length: number): Uint8Array {
    const head = this.#chunks[0];
    if (head === undefined) return new Uint8Array(0);
    const start = this.#consumed;
    if (head.length - start >= length) {
      this.#advance(head, length);
      return head.subarray(start, start + length);
    }
    const message = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      const from = this.#consumed;
      const step = Math.min(chunk.length - from, length - filled);
      message.set(chunk.subarray(from, from + step), filled);
      filled += step;
      this.#advance(chunk, step);
    }
    return message;
  }

  /** Marks `count` bytes of the head chunk returned, dropping the chunk once all of it is. */
  #advance(head: Uint8Array, count: number): void {
    this.#consumed += count;
    this.#buffered -= count;
    if (this.#consumed === head.length) {
      this.#chunks.shift();
      this.#consumed = 0;
    }
  }
}
