/** Words that threads write independently sit on lines of their own so they do not false-share. */
export const CACHE_LINE_BYTES = 64;
export const WORDS_PER_LINE = CACHE_LINE_BYTES / Int32Array.BYTES_PER_ELEMENT;

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}
