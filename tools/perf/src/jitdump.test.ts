import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JitDumpFormatError, parseJitDump, toPerfMap } from "@fz/perf-tools";

function codeLoad(address: bigint, size: bigint, name: string): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const record = new Uint8Array(16 + 40 + nameBytes.length + Number(size));
  const view = new DataView(record.buffer);
  view.setUint32(0, 0, true);
  view.setUint32(4, record.length, true);
  view.setBigUint64(24, address, true);
  view.setBigUint64(32, address, true);
  view.setBigUint64(40, size, true);
  record.set(nameBytes, 56);
  return record;
}

function jitDump(pid: number, ...records: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(40);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x4a695444, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, 40, true);
  view.setUint32(20, pid, true);
  return Uint8Array.from([...header, ...records.flatMap((record) => [...record])]);
}

describe("parseJitDump", () => {
  test("reads the pid and every code-load record, and ignores a record cut short", () => {
    const bytes = jitDump(
      4321,
      codeLoad(0x7f0000001000n, 0x40n, "take#Ab12:[FTL]"),
      codeLoad(0x7f0000002000n, 0x10n, "JSC-Thunk: DefaultCall"),
    );
    const truncated = Uint8Array.from([...bytes, 0, 0, 0, 0, 200, 0, 0, 0]);
    const dump = parseJitDump(truncated);
    expect(dump.pid).toBe(4321);
    expect(toPerfMap(dump)).toBe(
      "7f0000001000 40 take#Ab12:[FTL]\n7f0000002000 10 JSC-Thunk: DefaultCall\n",
    );
  });

  test("rejects bytes that are not a JITDump", () => {
    expect(() => parseJitDump(new Uint8Array(64))).toThrow(JitDumpFormatError);
  });
});

describe("with Bun's own JIT", () => {
  test("BUN_JSC_useJITDump writes a dump that names hot JavaScript functions", () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-jitdump-"));
    try {
      // The JIT compiles on background threads, which a loaded machine may starve for a while, so
      // the child runs its loop until its own dump names it (records are written as code loads).
      const child = `
        const { readdirSync, readFileSync } = require("node:fs");
        const dir = process.env.BUN_JSC_jitDumpDirectory;
        function hotLoop(n) { let x = 0; for (let i = 0; i < n; i++) x += i % 7; return x; }
        const named = () => readdirSync(dir).some((f) => readFileSync(dir + "/" + f).includes("hotLoop#"));
        const giveUpAt = Date.now() + 30000;
        do hotLoop(1e5); while (!named() && Date.now() < giveUpAt);
      `;
      const run = Bun.spawnSync(["bun", "-e", child], {
        env: { ...process.env, BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: dir },
      });
      expect(run.exitCode).toBe(0);
      const files = readdirSync(dir).filter((name) => name.endsWith(".dump"));
      expect(files.length).toBeGreaterThan(0);
      const names = files.flatMap((file) =>
        parseJitDump(readFileSync(join(dir, file))).loads.map((load) => load.name),
      );
      expect(names.some((name) => name.includes("hotLoop"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
