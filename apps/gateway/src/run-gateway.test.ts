import { expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfigFile } from "@fz/shell";
import { parseGatewayConfig } from "@fz/tunnel";

test("the example dns/gateway.toml grants its client the DNS resources and names a resolver", async () => {
  const config = await loadConfigFile(
    join(import.meta.dir, "../../../examples/dns/gateway.toml"),
    parseGatewayConfig,
  );
  expect(config.dnsResources.map((r) => [r.id, r.pattern.text])).toEqual([
    ["app", "app.internal"],
    ["internal", "*.internal"],
  ]);
  expect(config.dnsResolver).toEqual({ address: "198.19.0.53", port: 53 });
});
