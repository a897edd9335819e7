import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type CliOutput, EXIT_USAGE, runCli, VERSION } from "firezone";
import manifest from "../package.json" with { type: "json" };

function collector(): CliOutput & { stdout: string; stderr: string } {
  const sink = {
    stdout: "",
    stderr: "",
    out: (text: string) => {
      sink.stdout += text;
    },
    err: (text: string) => {
      sink.stderr += text;
    },
  };
  return sink;
}

describe("runCli", () => {
  test("--help lists the usage and every command and exits 0", async () => {
    const io = collector();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(io.stdout).toContain("Usage: firezone <command> [options]");
    expect(io.stdout).toMatch(/^ {2}version +Print the version$/m);
    expect(io.stderr).toBe("");
  });

  test("no arguments shows the help", async () => {
    const io = collector();
    expect(await runCli([], io)).toBe(0);
    expect(io.stdout).toContain("Usage:");
  });

  test("--version and the version command print the package version", async () => {
    for (const args of [["--version"], ["-V"], ["version"]]) {
      const io = collector();
      expect(await runCli(args, io)).toBe(0);
      expect(io.stdout).toBe(`firezone ${manifest.version}\n`);
    }
    expect(VERSION).toBe(manifest.version);
  });

  test("an unknown command names itself and the fix, on stderr, with a usage status", async () => {
    const io = collector();
    expect(await runCli(["frobnicate"], io)).toBe(EXIT_USAGE);
    expect(io.stderr).toBe(
      "firezone: unknown command 'frobnicate'; run 'firezone --help' to see the commands\n",
    );
    expect(io.stdout).toBe("");
  });

  test("an unknown option is reported as an option", async () => {
    const io = collector();
    expect(await runCli(["--frobnicate"], io)).toBe(EXIT_USAGE);
    expect(io.stderr).toContain("unknown option '--frobnicate'");
  });
});

describe("the firezone bin", () => {
  const root = join(import.meta.dir, "../../..");

  test("`bunx --no-install firezone --help` runs the workspace bin from the repo root", () => {
    const run = Bun.spawnSync(["bunx", "--no-install", "firezone", "--help"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout.toString()).toContain("Usage: firezone <command> [options]");
  });

  test("`bunx firezone --version` exits with the CLI's status and output", () => {
    const run = Bun.spawnSync(["bunx", "firezone", "--version"], { cwd: root });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.toString()).toBe(`firezone ${VERSION}\n`);
    const bad = Bun.spawnSync(["bunx", "firezone", "nope"], { cwd: root });
    expect(bad.exitCode).toBe(EXIT_USAGE);
  });
});
