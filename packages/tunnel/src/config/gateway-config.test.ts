import { describe, expect, test } from "bun:test";
import { formatIpNetwork, parseGatewayConfig } from "@fz/tunnel";
import { problemsOf } from "../../test/config-problems.ts";

const KEY_A = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const KEY_B = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

const valid = (extra: Record<string, unknown> = {}) => ({
  private_key: KEY_B,
  resources: [
    { id: "lan", type: "cidr", address: "198.19.0.0/24" },
    { id: "app", type: "dns", address: "app.internal" },
    { id: "all", type: "dns", address: "*.Internal." },
  ],
  clients: [
    {
      id: "alice",
      public_key: KEY_A,
      tunnel_ipv4: "100.64.0.2",
      tunnel_ipv6: "fd00:2021:1111::2",
      resources: ["lan", "app"],
    },
  ],
  ...extra,
});

describe("gateway DNS resources", () => {
  test("dns resources keep their pattern apart from the CIDR ones; clients grant them by id", () => {
    const config = parseGatewayConfig(valid());
    expect(config.resources.map((r) => `${r.id} ${formatIpNetwork(r.network)}`)).toEqual([
      "lan 198.19.0.0/24",
    ]);
    expect(config.dnsResources.map((r) => [r.id, r.pattern.text, r.pattern.kind])).toEqual([
      ["app", "app.internal", "exact"],
      ["all", "*.internal", "star"],
    ]);
    const all = config.dnsResources[1]?.pattern;
    expect([all?.matches("db.internal"), all?.matches("a.b.internal")]).toEqual([true, false]);
    expect(config.clients[0]?.resources).toEqual(["lan", "app"]);
    expect(config.dnsResolver).toBeUndefined();
  });

  test("a bad pattern, a duplicate id and a CIDR range over the proxy IPs are refused", () => {
    const problems = problemsOf(() =>
      parseGatewayConfig(
        valid({
          resources: [
            { id: "app", type: "dns", address: "app..internal" },
            { id: "app", type: "dns", address: "web/internal" },
            { id: "proxies", type: "cidr", address: "100.96.0.0/12" },
            { id: "vpn", type: "vpn", address: "198.19.1.0/24" },
          ],
          clients: [],
        }),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^resources\[0\]\.address: 'app\.\.internal' is not a name pattern: it has an empty label; write a name such as/,
      ),
      "resources[1].id: 'app' is used twice; give each resource its own id",
      expect.stringMatching(
        /^resources\[1\]\.address: 'web\/internal' is not a name pattern: label 'web\/internal' may hold only/,
      ),
      "resources[2].address: overlaps the DNS resources' proxy address ranges; pick a range outside 100.96.0.0/11 and fd00:2021:1111:8000::/107",
      'resources[3].type: \'vpn\' is not a resource type this gateway knows; use type = "cidr" or type = "dns"',
    ]);
  });

  test("a client granting an unknown id is told the ids of both kinds", () => {
    const base = valid();
    const problems = problemsOf(() =>
      parseGatewayConfig({
        ...base,
        clients: [{ ...base.clients[0], resources: ["wiki"] }],
      }),
    );
    expect(problems).toEqual([
      "clients[0].resources: no resource has the id 'wiki'; use ids from [[resources]]: lan, app, all",
    ]);
  });
});

describe("a client's tunnel addresses", () => {
  test.each([
    ["the default", {}, "100.64.0.1", "fd00:2021:1111::1"],
    [
      "a configured",
      { tunnel_ipv4: "100.64.0.7", tunnel_ipv6: "fd00:2021:1111::7" },
      "100.64.0.7",
      "fd00:2021:1111::7",
    ],
  ])("may not be %s gateway address of either family", (_, gateway, ipv4, ipv6) => {
    const base = valid(gateway);
    const client = base.clients[0];
    const problems = problemsOf(() =>
      parseGatewayConfig({
        ...base,
        clients: [
          { ...client, tunnel_ipv4: ipv4 },
          { ...client, id: "bob", public_key: KEY_B, tunnel_ipv4: "100.64.0.3", tunnel_ipv6: ipv6 },
        ],
      }),
    );
    expect(problems).toEqual([
      "clients[0].tunnel_ipv4: is already in use; give each client its own tunnel address",
      "clients[1].tunnel_ipv6: is already in use; give each client its own tunnel address",
    ]);
  });
});

describe("dns_resolver", () => {
  test.each([
    ["198.19.0.53", { address: "198.19.0.53", port: 53 }],
    ["198.19.0.53:5353", { address: "198.19.0.53", port: 5353 }],
    ["FD00:198:19::53", { address: "fd00:198:19::53", port: 53 }],
    ["[fd00:198:19::53]:54", { address: "fd00:198:19::53", port: 54 }],
    ["[fd00::53]", { address: "fd00::53", port: 53 }],
  ])("%s is read as an address and port", (text, expected) => {
    expect(parseGatewayConfig(valid({ dns_resolver: text })).dnsResolver).toEqual(expected);
  });

  test.each([
    "resolver.internal",
    "198.19.0.53:0",
    "198.19.0.256",
    "fd00::53:99999",
    "[fd00::53]:",
  ])("'%s' is refused with the forms it may take", (text) => {
    expect(problemsOf(() => parseGatewayConfig(valid({ dns_resolver: text })))).toEqual([
      `dns_resolver: '${text}' is not an IP address with an optional port; write it as 198.19.0.53, 198.19.0.53:53 or [fd00:198:19::53]:53 (host names are not resolved)`,
    ]);
  });
});
