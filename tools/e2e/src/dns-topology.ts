import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Addresses,
  addAddress,
  createTopology,
  dnsmasqListeningOn,
  type Topology,
} from "@fz/netns";

/** The resource LAN's DNS server, as examples/dns/gateway.toml's dns_resolver says. */
export const LAN_DNS = "198.19.0.53";
/** What the client's upstream (dnsmasq on the gateway's underlay address) answers. */
export const OUTSIDE_NAME = "outside.example";
export const OUTSIDE_ADDRESS = "198.18.9.9";
/** A name whose record a test can move: it starts at the resource, then moves to MOVED_TO. */
export const MOVING_NAME = "moving.internal";
/** A second address on the resource host, where MOVING_NAME can move. */
export const MOVED_TO = "198.19.0.3";

export interface DnsTopology {
  readonly topology: Topology;
  readonly clientResolvConf: string;
  /** Points MOVING_NAME at `address` on the LAN's DNS server (a hosts file it re-reads on SIGHUP). */
  moveName(address: string): void;
  /** Removes the hosts file; call after destroying the topology. */
  cleanUp(): void;
}

/**
 * client | gateway | resource, with dnsmasq on the resource LAN (198.19.0.53: app.internal,
 * wild.internal, moving.internal, NXDOMAIN for the rest of .internal, and a name that is no
 * resource) and a dnsmasq upstream for the client on the gateway's underlay address, listed in the client
 * namespace's own resolv.conf.
 */
export function createDnsTopology(prefix: string): DnsTopology {
  const t = createTopology(prefix);
  addAddress(t.resource, "eth0", `${LAN_DNS}/24`);
  addAddress(t.resource, "eth0", `${MOVED_TO}/24`);
  // dnsmasq reads the file as nobody after dropping root: the directory must be readable.
  const dir = mkdtempSync(join(tmpdir(), "fz-hosts-"));
  chmodSync(dir, 0o755);
  const hosts = join(dir, "moving.hosts");
  writeFileSync(hosts, `${Addresses.resource4} ${MOVING_NAME}\n`, { mode: 0o644 });
  const lanDns = t.resource.spawn(
    [
      ...dnsmasqListeningOn(LAN_DNS),
      `--host-record=app.internal,${Addresses.resource4},${Addresses.resource6}`,
      `--address=/wild.internal/${Addresses.resource4}`,
      `--host-record=lan-only.example,${Addresses.resource4}`,
      "--local=/internal/",
      `--addn-hosts=${hosts}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  t.gateway.spawn(
    [
      ...dnsmasqListeningOn(Addresses.gatewayUnderlay4),
      `--host-record=${OUTSIDE_NAME},${OUTSIDE_ADDRESS}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const clientResolvConf = `# the client namespace's resolver\nnameserver ${Addresses.gatewayUnderlay4}\noptions timeout:2\n`;
  t.client.writeResolvConf(clientResolvConf);
  // Servers on the resource host look names up (python's http.server its own address, at
  // bind): give them the LAN's server, which answers at once, not the host's, unreachable here.
  t.resource.writeResolvConf(`nameserver ${LAN_DNS}\n`);
  return {
    topology: t,
    clientResolvConf,
    moveName(address) {
      writeFileSync(hosts, `${address} ${MOVING_NAME}\n`, { mode: 0o644 });
      lanDns.kill("SIGHUP");
    },
    cleanUp() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
