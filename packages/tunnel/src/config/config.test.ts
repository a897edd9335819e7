import { describe, expect, test } from "bun:test";
import { formatIpAddress } from "@fz/ip-packet";
import { formatIpNetwork, parseClientConfig, parseGatewayConfig } from "@fz/tunnel";
import { problemsOf } from "../../test/config-problems.ts";

const KEY_A = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const KEY_B = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const KEY_C = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

describe("client configuration", () => {
  const valid = () => ({
    private_key: KEY_A,
    tunnel_ipv4: "100.64.0.2",
    tunnel_ipv6: "fd00:2021:1111::2",
    gateways: [{ id: "office", public_key: KEY_B, endpoint: "198.18.1.1:51820" }],
    resources: [
      { id: "lan", type: "cidr", address: "198.19.0.0/24", gateway: "office" },
      { id: "lan6", type: "cidr", address: "fd00:198:19::/64", gateway: "office" },
    ],
  });

  test("a valid file becomes the state machine's configuration and the shell's settings", () => {
    const config = parseClientConfig(valid());
    expect(formatIpAddress(config.tunnelIpv4)).toBe("100.64.0.2");
    expect(config.gateways[0]?.endpoint).toEqual({ address: "198.18.1.1", port: 51820 });
    expect(config.resources.map((r) => formatIpNetwork(r.network))).toEqual([
      "198.19.0.0/24",
      "fd00:198:19::/64",
    ]);
    expect(config.tunName).toBe("tun-firezone");
    expect(config.aead).toBe("auto");
    expect(config.logDir).toBeUndefined();
    expect(config.socketDir).toBe("/var/run/wireguard");
    expect(config.tunOffload).toBe(true);
    expect(parseClientConfig({ ...valid(), tun_offload: false }).tunOffload).toBe(false);
    expect(parseClientConfig({ ...valid(), socket_dir: "/tmp/fz" }).socketDir).toBe("/tmp/fz");
  });

  test("every problem is named with its field and its fix, all at once", () => {
    const problems = problemsOf(() =>
      parseClientConfig({
        ...valid(),
        private_key: "not-a-key",
        tunnel_ipv4: "10.0.0.2",
        aead: "fast",
        gateways: [{ id: "office", public_key: KEY_B, endpoint: "gateway.example:51820" }],
        resources: [{ id: "lan", type: "internet", address: "198.19.0.1/24", gateway: "home" }],
      }),
    );
    expect(problems).toEqual([
      expect.stringContaining("private_key: not a WireGuard key"),
      "tunnel_ipv4: 10.0.0.2 is outside 100.64.0.0/11; use an address from 100.64.0.0/11",
      expect.stringContaining("aead: 'fast' is not a backend; use one of auto, noble"),
      expect.stringContaining(
        "gateways[0].endpoint: 'gateway.example:51820' is not an IP address and port",
      ),
      'resources[0].type: \'internet\' is not a resource type this client knows; use type = "cidr" or type = "dns"',
      "resources[0].address: '198.19.0.1/24' has host bits set; write the network address, e.g. 198.19.0.0/24",
      "resources[0].gateway: no gateway has the id 'home'; use one of: office",
    ]);
  });

  test("resources: ids are unique, and no CIDR resource takes the tunnel's or DNS's addresses", () => {
    const base = valid();
    const problems = problemsOf(() =>
      parseClientConfig({
        ...base,
        resources: [
          ...base.resources,
          { id: "lan", type: "cidr", address: "198.20.0.0/24", gateway: "office" },
          { id: "cgnat", type: "cidr", address: "100.64.0.0/10", gateway: "office" },
          { id: "proxies", type: "cidr", address: "100.96.0.0/12", gateway: "office" },
          {
            id: "sentinels6",
            type: "cidr",
            address: "fd00:2021:1111:8000:100:100:111:0/120",
            gateway: "office",
          },
        ],
      }),
    );
    expect(problems).toEqual([
      "resources[2].id: 'lan' is used twice; give each resource its own id",
      "resources[3].address: overlaps the tunnel address ranges; pick a range outside 100.64.0.0/11 and fd00:2021:1111::/107",
      expect.stringContaining(
        "resources[4].address: overlaps the client's DNS sentinel and proxy ranges; pick a range outside ",
      ),
      expect.stringContaining(
        "resources[5].address: overlaps the client's DNS sentinel and proxy ranges",
      ),
    ]);
  });

  test("missing sections and keys say what to add", () => {
    const problems = problemsOf(() => parseClientConfig({ private_key: KEY_A }));
    expect(problems).toContain('tunnel_ipv4: is missing; add tunnel_ipv4 = "100.64.0.2"');
    expect(problems).toContain("gateways: is missing; add at least one [[gateways]] section");
  });

  test("the error message lists the problems under the file's name", () => {
    try {
      parseClientConfig({}, "client.toml");
    } catch (error) {
      expect(String(error)).toMatch(
        /^InvalidConfigError: client.toml has \d+ problems:\n {2}private_key: is missing/,
      );
    }
  });
});

describe("gateway configuration", () => {
  const valid = () => ({
    private_key: KEY_B,
    egress_interface: "lan0",
    resources: [{ id: "lan", type: "cidr", address: "198.19.0.0/24" }],
    clients: [
      {
        id: "alice",
        public_key: KEY_A,
        tunnel_ipv4: "100.64.0.2",
        tunnel_ipv6: "fd00:2021:1111::2",
        resources: ["lan"],
      },
    ],
  });

  test("a valid file, with defaults for the port and the gateway's own tunnel addresses", () => {
    const config = parseGatewayConfig(valid());
    expect(config.listenPort).toBe(51820);
    expect(config.egressInterface).toBe("lan0");
    expect(formatIpAddress(config.tunnelIpv4)).toBe("100.64.0.1");
    expect(formatIpAddress(config.tunnelIpv6)).toBe("fd00:2021:1111::1");
    expect(config.clients[0]?.resources).toEqual(["lan"]);
  });

  test("duplicate clients, unknown resources and overlapping ranges are refused", () => {
    const base = valid();
    const problems = problemsOf(() =>
      parseGatewayConfig({
        ...base,
        listen_port: 70000,
        resources: [...base.resources, { id: "cgnat", type: "cidr", address: "100.64.0.0/10" }],
        clients: [
          ...base.clients,
          {
            id: "alice",
            public_key: KEY_A,
            tunnel_ipv4: "100.64.0.2",
            tunnel_ipv6: "fd00:2021:1111::3",
            resources: ["wiki"],
          },
          {
            id: "bob",
            public_key: KEY_C,
            tunnel_ipv4: "100.64.0.9",
            tunnel_ipv6: "fd00:2021:1111::2",
            resources: [],
          },
        ],
      }),
    );
    expect(problems).toEqual([
      expect.stringContaining("listen_port: expected a whole number from 1 to 65535, got 70000"),
      expect.stringContaining("resources[1].address: overlaps the tunnel address ranges"),
      expect.stringContaining("clients[1].resources: no resource has the id 'wiki'"),
      "clients[1].id: 'alice' is used twice; give each client its own id",
      "clients[1].public_key: the same key is given to two clients; give each client its own key pair",
      "clients[1].tunnel_ipv4: is already in use; give each client its own tunnel address",
      "clients[2].tunnel_ipv6: is already in use; give each client its own tunnel address",
    ]);
  });
});
