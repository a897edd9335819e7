import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "../../..");
const biome = join(root, "node_modules/.bin/biome");
const sandbox = mkdtempSync(join(tmpdir(), "fz-lint-"));
copyFileSync(join(root, "biome.json"), join(sandbox, "biome.json"));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Lints `source` as the file at `path` of a scratch tree that has the repository's biome.json. */
function lint(path: string, source: string): { exitCode: number; output: string } {
  const file = join(sandbox, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  try {
    const run = Bun.spawnSync([biome, "lint", "--colors=off", "--vcs-enabled=false", path], {
      cwd: sandbox,
    });
    return { exitCode: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
  } finally {
    rmSync(file);
  }
}

const IO = [
  "const now = Date.now();",
  "const t = performance.now();",
  "setTimeout(() => {}, 1);",
  "const v = Bun.version;",
  "const e = process.env;",
].join("\n");

const CORE_PACKAGES = ["bufferpool", "ip-packet", "dns", "wireguard", "dns-nat", "tunnel"];

describe("the sans-IO core", () => {
  test.each(CORE_PACKAGES)("%s/src may not read clocks, start timers or touch Bun", (name) => {
    const result = lint(`packages/${name}/src/probe.ts`, `${IO}\nexport {};\n`);
    expect(result.exitCode).not.toBe(0);
    for (const global of ["Date", "performance", "setTimeout", "Bun", "process"]) {
      expect(result.output).toContain(`Do not use the global variable ${global}`);
    }
  });

  test("core packages may not import bun:ffi or sockets", () => {
    const source =
      'import { dlopen } from "bun:ffi";\nimport { createSocket } from "node:dgram";\nexport { dlopen, createSocket };\n';
    const result = lint("packages/tunnel/src/probe.ts", source);
    expect(result.output).toContain("bun:ffi lives only in @fz/tun");
    expect(result.output).toContain("sockets belong in apps/*");
  });

  test("the I/O shells, the tun package and the native AEAD module may", () => {
    for (const path of [
      "apps/client/src/probe.ts",
      "packages/tun/src/probe.ts",
      "packages/wireguard/src/aead/native.ts",
    ]) {
      const source = `import { dlopen } from "bun:ffi";\n${IO}\nexport { dlopen, now, t, v, e };\n`;
      const result = lint(path, source);
      expect({ path, exitCode: result.exitCode }).toEqual({ path, exitCode: 0 });
    }
  });

  test("tests beside core sources may use the runtime", () => {
    const result = lint("packages/tunnel/src/probe.test.ts", `${IO}\nexport { now, t, v, e };\n`);
    expect(result.exitCode).toBe(0);
  });
});
