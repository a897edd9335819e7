import { describe, expect, test } from "bun:test";
import { parseClientConfig } from "@fz/tunnel";
import { problemsOf } from "../../test/config-problems.ts";

const KEY_A = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const KEY_B = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

const valid = () => ({
  private_key: KEY_A,
  tunnel_ipv4: "100.64.0.2",
  tunnel_ipv6: "fd00:2021:1111::2",
  gateways: [
    { id: "office", public_key: KEY_B, endpoint: "198.18.1.1:51820" },
    { id: "lab", public_key: KEY_A, endpoint: "198.18.1.3:51820" },
  ],
  resources: [
    { id: "lan", type: "cidr", address: "198.19.0.0/24", gateway: "office" },
    { id: "wiki", type: "dns", address: "Wiki.Example.com.", gateway: "office" },
    { id: "apps", type: "dns", address: "**.apps.example.com", gateway: "lab" },
  ],
});

describe("client configuration: DNS resources and upstreams", () => {
  test("dns resources keep their pattern and gateway apart from the CIDR ones", () => {
    const config = parseClientConfig(valid());
    expect(config.resources.map((r) => r.id)).toEqual(["lan"]);
    expect(
      config.dnsResources.map((r) => [r.id, r.pattern.text, r.pattern.kind, r.gateway]),
    ).toEqual([
      ["wiki", "wiki.example.com", "exact", "office"],
      ["apps", "**.apps.example.com", "double-star", "lab"],
    ]);
    expect(config.dnsResources[1]?.pattern.matches("a.b.apps.example.com")).toBe(true);
    expect(config.dnsResources[1]?.pattern.matches("example.com")).toBe(false);
  });

  test("defaults: no upstreams (the shell reads resolv.conf) and the system resolver is set", () => {
    const config = parseClientConfig(valid());
    expect(config.upstreamDns).toEqual([]);
    expect(config.setSystemResolver).toBe(true);
  });

  test("upstreams take an optional port and come back in canonical text", () => {
    const config = parseClientConfig({
      ...valid(),
      upstream_dns: ["198.19.0.53", "198.19.0.54:5353", "[FD00:0::53]:53", "fd00::54"],
      set_system_resolver: false,
    });
    expect(config.upstreamDns).toEqual([
      { address: "198.19.0.53", port: 53 },
      { address: "198.19.0.54", port: 5353 },
      { address: "fd00::53", port: 53 },
      { address: "fd00::54", port: 53 },
    ]);
    expect(config.setSystemResolver).toBe(false);
  });

  test("bad patterns, upstreams and switches are named with their field and fix", () => {
    const base = valid();
    const problems = problemsOf(() =>
      parseClientConfig({
        ...base,
        upstream_dns: ["dns.google", "198.19.0.53:99999"],
        set_system_resolver: "yes",
        resources: [
          ...base.resources,
          { id: "bad", type: "dns", address: "wiki..example.com", gateway: "office" },
          { id: "slash", type: "dns", address: "198.19.0.0/24", gateway: "nowhere" },
        ],
      }),
    );
    const fix =
      'write it as "198.19.0.53", "198.19.0.53:53", "fd00::53" or "[fd00::53]:53" (host names are not resolved)';
    expect(problems).toEqual([
      `upstream_dns[0]: 'dns.google' is not an IP address with an optional port; ${fix}`,
      `upstream_dns[1]: '198.19.0.53:99999' is not an IP address with an optional port; ${fix}`,
      'set_system_resolver: expected true or false, got "yes"; write set_system_resolver = true',
      `resources[3].address: 'wiki..example.com' is not a name pattern: it has an empty label; write a name such as "app.example.com", "*.example.com" or "**.example.com"`,
      expect.stringContaining("resources[4].address: '198.19.0.0/24' is not a name pattern: label"),
      "resources[4].gateway: no gateway has the id 'nowhere'; use one of: office, lab",
    ]);
  });

  test("a list of more upstreams than there are sentinels is refused", () => {
    const upstreams = Array.from({ length: 255 }, (_, i) => `198.19.${i >> 8}.${i & 0xff}`);
    expect(problemsOf(() => parseClientConfig({ ...valid(), upstream_dns: upstreams }))).toEqual([
      "upstream_dns: lists 255 servers; list at most 254",
    ]);
  });
});
