import { Addresses, addAddress, createTopology, type Topology } from "@fz/netns";

/** The resource LAN's DNS server, as examples/dns/gateway.toml's dns_resolver says. */
export const LAN_DNS = "198.19.0.53";
/** What the client's upstream (dnsmasq on the gateway's underlay address) answers. */
export const OUTSIDE_NAME = "outside.example";
export const OUTSIDE_ADDRESS = "198.18.9.9";

/**
 * client | gateway | resource, with dnsmasq on the resource LAN (198.19.0.53: app.internal,
 * wild.internal, NXDOMAIN for the rest of .internal, and a name that is no resource) and a
 * dnsmasq upstream for the client on the gateway's underlay address, listed in the client
 * namespace's own resolv.conf.
 */
export function createDnsTopology(prefix: string): {
  topology: Topology;
  clientResolvConf: string;
} {
  const t = createTopology(prefix);
  addAddress(t.resource, "eth0", `${LAN_DNS}/24`);
  t.resource.spawn(
    [
      "dnsmasq",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--keep-in-foreground",
      "--bind-interfaces",
      "--pid-file=",
      `--listen-address=${LAN_DNS}`,
      `--host-record=app.internal,${Addresses.resource4},${Addresses.resource6}`,
      `--address=/wild.internal/${Addresses.resource4}`,
      `--host-record=lan-only.example,${Addresses.resource4}`,
      "--local=/internal/",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  t.gateway.spawn(
    [
      "dnsmasq",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--keep-in-foreground",
      "--bind-interfaces",
      "--pid-file=",
      `--listen-address=${Addresses.gatewayUnderlay4}`,
      `--host-record=${OUTSIDE_NAME},${OUTSIDE_ADDRESS}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const clientResolvConf = `# the client namespace's resolver\nnameserver ${Addresses.gatewayUnderlay4}\noptions timeout:2\n`;
  t.client.writeResolvConf(clientResolvConf);
  return { topology: t, clientResolvConf };
}
