import { expect, test } from "bun:test";
import { join } from "node:path";

/**
 * The pattern that moved a length-made Uint32Array under a kept pointer (found when TUN writes
 * failed under load): the pointer taken first, the words written after, then millions of
 * writev calls reading them. With `pinnedWords` the kernel must see every length we wrote.
 */
function writevThroughKeptPointer(makeWords: string): string {
  return `
    import { dlopen, FFIType, ptr } from "bun:ffi";
    import { pinnedWords } from ${JSON.stringify(join(import.meta.dir, "pinned.ts"))};
    const { symbols: libc } = dlopen("libc.so.6", {
      writev: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    });
    const fd = require("node:fs").openSync("/dev/null", "w");
    const header = new Uint8Array(new ArrayBuffer(10));
    const data = new Uint8Array(new ArrayBuffer(4096));
    const iov = ${makeWords};
    const iovPointer = ptr(iov);
    const set = (at, pointer) => { iov[at] = pointer % 2 ** 32; iov[at + 1] = Math.floor(pointer / 2 ** 32); };
    set(0, ptr(header));
    iov[2] = 10;
    const base = ptr(data);
    function write(pointer, length) {
      set(4, pointer);
      iov[6] = length;
      return libc.writev(fd, iovPointer, 2) === 10 + length;
    }
    let wrong = 0;
    for (let i = 0; i < 3_000_000; i++) if (!write(base + (i % 64), 1 + (i % 1500))) wrong++;
    console.log(wrong);
  `;
}

test("pinnedWords stays where its pointer says through millions of FFI calls, at every JIT tier", () => {
  for (const ftl of ["1", "0"]) {
    const run = Bun.spawnSync(["bun", "-e", writevThroughKeptPointer("pinnedWords(32)")], {
      env: { ...process.env, BUN_JSC_useFTLJIT: ftl },
    });
    const result = { ftl, wrong: run.stdout.toString().trim(), err: run.stderr.toString() };
    expect(result).toEqual({ ftl, wrong: "0", err: "" });
  }
});
