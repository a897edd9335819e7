import { join } from "node:path";
import { defaultDiffieHellman, defaultRandom, encodeKey } from "@fz/wireguard";

/** The name the DNS resource covers, answered by dnsmasq on the resource LAN. */
export const DEMO_NAME = "app.demo.internal";
/** The resource LAN's DNS server, where the gateway looks DEMO_NAME up. */
export const DEMO_DNS_SERVER = "198.19.0.53";
export const DEMO_TUNNEL_IPV4 = "100.64.0.2";
export const DEMO_TUNNEL_IPV6 = "fd00:2021:1111::2";
export const DEMO_LISTEN_PORT = 51820;

export interface KeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function generateKeyPair(): KeyPair {
  const privateKey = defaultDiffieHellman.generatePrivateKey(defaultRandom);
  return {
    privateKey: encodeKey(privateKey),
    publicKey: encodeKey(defaultDiffieHellman.publicKey(privateKey)),
  };
}

export interface DemoConfigOptions {
  readonly gateway: KeyPair;
  readonly client: KeyPair;
  readonly logDir: string;
  /** The gateway's address as the client reaches it (the underlay). */
  readonly gatewayAddress: string;
  readonly resourceLan4: string;
  readonly resourceLan6: string;
  /** Whether DEMO_NAME is a DNS resource (dnsmasq runs on the resource LAN). */
  readonly dnsResource: boolean;
  /** Whether the client points resolv.conf at its sentinels: only once it is the namespace's own. */
  readonly setSystemResolver: boolean;
}

/**
 * Each end's status socket, in the run's own directory: both ends are called tun-firezone (in
 * their namespaces), and the machine's /var/run/wireguard is left to real tunnels.
 */
export function statusSocketDir(logDir: string, role: "client" | "gateway"): string {
  return join(logDir, role);
}

/** examples/gateway.toml (and examples/dns/gateway.toml with a DNS resource), with fresh keys. */
export function gatewayToml(options: DemoConfigOptions): string {
  const resourceIds = ["lan", "lan-v6", ...(options.dnsResource ? ["app"] : [])];
  return [
    "# Written by `firezone demo`; the keys are fresh and used only by this run.",
    `private_key = "${options.gateway.privateKey}"`,
    `listen_port = ${DEMO_LISTEN_PORT}`,
    `log_dir = ${JSON.stringify(options.logDir)}`,
    `socket_dir = ${JSON.stringify(statusSocketDir(options.logDir, "gateway"))}`,
    ...(options.dnsResource ? [`dns_resolver = "${DEMO_DNS_SERVER}"`] : []),
    ...resourceTables(options, undefined),
    "",
    "[[clients]]",
    'id = "demo-client"',
    `public_key = "${options.client.publicKey}"`,
    `tunnel_ipv4 = "${DEMO_TUNNEL_IPV4}"`,
    `tunnel_ipv6 = "${DEMO_TUNNEL_IPV6}"`,
    `resources = ${JSON.stringify(resourceIds)}`,
    "",
  ].join("\n");
}

/** examples/client.toml (and examples/dns/client.toml with a DNS resource), with fresh keys. */
export function clientToml(options: DemoConfigOptions): string {
  return [
    "# Written by `firezone demo`; the keys are fresh and used only by this run.",
    `private_key = "${options.client.privateKey}"`,
    `tunnel_ipv4 = "${DEMO_TUNNEL_IPV4}"`,
    `tunnel_ipv6 = "${DEMO_TUNNEL_IPV6}"`,
    `log_dir = ${JSON.stringify(options.logDir)}`,
    `socket_dir = ${JSON.stringify(statusSocketDir(options.logDir, "client"))}`,
    `set_system_resolver = ${options.setSystemResolver}`,
    "",
    "[[gateways]]",
    'id = "demo-gateway"',
    `public_key = "${options.gateway.publicKey}"`,
    `endpoint = "${options.gatewayAddress}:${DEMO_LISTEN_PORT}"`,
    ...resourceTables(options, "demo-gateway"),
    "",
  ].join("\n");
}

function resourceTables(options: DemoConfigOptions, gateway: string | undefined): string[] {
  const resources = [
    { id: "lan", type: "cidr", address: options.resourceLan4 },
    { id: "lan-v6", type: "cidr", address: options.resourceLan6 },
    ...(options.dnsResource ? [{ id: "app", type: "dns", address: DEMO_NAME }] : []),
  ];
  return resources.flatMap((resource) => [
    "",
    "[[resources]]",
    `id = "${resource.id}"`,
    `type = "${resource.type}"`,
    `address = "${resource.address}"`,
    ...(gateway === undefined ? [] : [`gateway = "${gateway}"`]),
  ]);
}
