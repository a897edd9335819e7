import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runClient } from "@fz/client";

test("a configuration error exits 78 with every problem on stderr, before touching the system", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fz-client-"));
  try {
    const path = join(dir, "client.toml");
    writeFileSync(path, 'private_key = "short"\ntunnel_ipv4 = "100.64.0.2"\n');
    let stderr = "";
    const status = await runClient({
      configPath: path,
      stderr: (text) => (stderr += text),
      until: Promise.resolve(),
    });
    expect(status).toBe(78);
    expect(stderr).toStartWith(`firezone client: ${path} has 4 problems:`);
    expect(stderr).toContain("private_key: not a WireGuard key");
    expect(stderr).toContain("tunnel_ipv6: is missing");
    expect(stderr).toContain("gateways: is missing; add at least one [[gateways]] section");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the example client.toml is a valid configuration", async () => {
  const { loadConfigFile } = await import("@fz/shell");
  const { parseClientConfig } = await import("@fz/tunnel");
  const config = await loadConfigFile(
    join(import.meta.dir, "../../../examples/client.toml"),
    parseClientConfig,
  );
  expect(config.gateways.map((gateway) => gateway.id)).toEqual(["office"]);
});

test("the example dns/client.toml is valid and points the system resolver at the sentinels", async () => {
  const { loadConfigFile } = await import("@fz/shell");
  const { parseClientConfig } = await import("@fz/tunnel");
  const config = await loadConfigFile(
    join(import.meta.dir, "../../../examples/dns/client.toml"),
    parseClientConfig,
  );
  expect(config.dnsResources.map((r) => [r.id, r.pattern.text, r.gateway])).toEqual([
    ["app", "app.internal", "office"],
    ["internal", "*.internal", "office"],
  ]);
  expect(config.setSystemResolver).toBe(true);
  expect(config.upstreamDns).toEqual([]);
});
