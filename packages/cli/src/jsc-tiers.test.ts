import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FTL_OPTION, tunnelEnvironment } from "./jsc-tiers.ts";

describe("tunnelEnvironment", () => {
  for (const command of ["client", "gateway"]) {
    test(`${command} runs with FTL off, keeping every variable that has a value`, () => {
      const env = { PATH: "/usr/bin", FIREZONE_LOG: "debug", UNSET: undefined };
      const next = tunnelEnvironment([command, "--config", "firezone.toml"], env);
      expect(next).toStrictEqual({ PATH: "/usr/bin", FIREZONE_LOG: "debug", [FTL_OPTION]: "0" });
      expect(next !== undefined && "UNSET" in next).toBe(false);
      expect(env).toStrictEqual({ PATH: "/usr/bin", FIREZONE_LOG: "debug", UNSET: undefined });
    });

    test(`${command} runs as it is when the caller chose ${FTL_OPTION}`, () => {
      for (const value of ["1", "0", ""]) {
        expect(tunnelEnvironment([command], { PATH: "/usr/bin", [FTL_OPTION]: value })).toBe(
          undefined,
        );
      }
    });
  }

  test("other commands, and none, run as they are", () => {
    for (const args of [["keygen"], ["help"], ["--help"], ["version"], [], ["clients"]]) {
      expect(tunnelEnvironment(args, { PATH: "/usr/bin" })).toBe(undefined);
    }
  });

  test("only the first argument names the command", () => {
    expect(tunnelEnvironment(["keygen", "client"], {})).toBe(undefined);
    expect(tunnelEnvironment(["client", "gateway"], {})).toStrictEqual({ [FTL_OPTION]: "0" });
  });
});

describe("reexecWith", () => {
  const dir = mkdtempSync(join(tmpdir(), `fz-jsc-tiers-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("replaces the process (same pid) with the same command under the given environment", () => {
    const script = join(dir, "reexec-child.ts");
    // The pid goes out with writeSync: a buffered write would be lost to execve.
    writeFileSync(
      script,
      `import { writeSync } from "node:fs";
import { reexecWith } from ${JSON.stringify(join(import.meta.dir, "jsc-tiers.ts"))};
if (process.env.MARK === undefined) {
  writeSync(2, \`before \${process.pid}\\n\`);
  const { DROP_ME: _dropped, ...kept } = process.env;
  reexecWith(process.execPath, process.argv, { ...kept, MARK: "1" } as Record<string, string>);
  writeSync(2, "execve failed\\n");
  process.exit(3);
}
console.log(JSON.stringify({
  pid: process.pid,
  mark: process.env.MARK,
  dropped: process.env.DROP_ME ?? null,
  args: process.argv.slice(2),
}));
`,
    );
    const run = Bun.spawnSync([process.execPath, script, "client", "two words", ""], {
      env: { ...process.env, DROP_ME: "x" },
      timeout: 20_000,
    });
    const stderr = run.stderr.toString();
    expect({ exitCode: run.exitCode, signal: run.signalCode ?? null }).toEqual({
      exitCode: 0,
      signal: null,
    });
    const before = /^before (\d+)$/m.exec(stderr);
    expect(before).not.toBeNull();
    expect(JSON.parse(run.stdout.toString())).toEqual({
      pid: Number(before?.[1]),
      mark: "1",
      dropped: null,
      args: ["client", "two words", ""],
    });
    expect(stderr).toBe(`before ${before?.[1]}\n`);
  });
});
