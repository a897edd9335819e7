#!/usr/bin/env bun
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseJitDump, toPerfMap } from "./jitdump.ts";

const [dir, outDir = "/tmp"] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write("usage: jitdump-to-perfmap <jit-dump-dir> [out-dir, default /tmp]\n");
  process.exit(64);
}
for (const file of readdirSync(dir).filter((name) => /^jit-.*\.dump$/.test(name))) {
  const dump = parseJitDump(readFileSync(join(dir, file)));
  const out = join(outDir, `perf-${dump.pid}.map`);
  writeFileSync(out, toPerfMap(dump), { flag: "a" });
  process.stdout.write(`${file}: ${dump.loads.length} functions -> ${out}\n`);
}
