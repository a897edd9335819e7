/**
 * `bytes` of 32-bit words whose memory never moves. A typed array made with a length alone may
 * keep its elements in the JavaScript heap, where the engine can move them after `ptr()` was
 * taken (seen here: writev then read a stale iovec); one over its own ArrayBuffer stays put.
 * Use it for anything the kernel reads or writes through a pointer kept across calls.
 */
export function pinnedWords(bytes: number): Uint32Array {
  return new Uint32Array(new ArrayBuffer(bytes));
}
