import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigFileError, isConfigError, loadConfigFile } from "@fz/shell";
import { InvalidConfigError, parseClientConfig } from "@fz/tunnel";

describe("loadConfigFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "fz-shell-"));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test("a missing file says how to pass one", async () => {
    const error = await loadConfigFile(join(dir, "nope.toml"), parseClientConfig).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error.message).toContain(
      "nope.toml does not exist: pass the configuration file with --config FILE",
    );
  });

  test("TOML syntax errors name the file", async () => {
    const error = await loadConfigFile(
      write("bad.toml", "private_key = \n"),
      parseClientConfig,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error.message).toStartWith(`${join(dir, "bad.toml")} is not valid TOML`);
  });

  test("a valid TOML file that is not a valid configuration lists its problems", async () => {
    const error = await loadConfigFile(
      write("empty.toml", 'tunnel_ipv4 = "1.2.3.4"\n'),
      parseClientConfig,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toContain("tunnel_ipv4: 1.2.3.4 is outside 100.64.0.0/11");
    rmSync(dir, { recursive: true, force: true });
  });
});
