/**
 * Two network namespaces of our own joined by a veth pair, with checksum and segmentation
 * offloads off so captured checksums are the final ones. The host namespace is never touched:
 * the veth pair is created inside the client namespace.
 */
import { inNamespace, run } from "./command.ts";
import { OffloadStillOnError } from "./errors.ts";

export interface Topology {
  readonly client: string;
  readonly server: string;
  readonly clientInterface: string;
  readonly serverInterface: string;
  readonly clientV4: string;
  readonly serverV4: string;
  readonly clientV6: string;
  readonly serverV6: string;
  readonly prefixV4: number;
  readonly prefixV6: number;
}

/** Names and addresses for a run; the pid keeps parallel runs apart. */
export function topologyFor(pid: number): Topology {
  return {
    client: `fzcap-${pid}-client`,
    server: `fzcap-${pid}-server`,
    clientInterface: "fzcap0",
    serverInterface: "fzcap1",
    clientV4: "198.18.0.1",
    serverV4: "198.18.0.2",
    clientV6: "fd00:198:18::1",
    serverV6: "fd00:198:18::2",
    prefixV4: 24,
    prefixV6: 64,
  };
}

const OFFLOADS_OFF = ["tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"];

/** Offload features that must read "off" for the capture to hold the real checksums. */
export const REQUIRED_OFF_FEATURES = [
  "tx-checksumming",
  "rx-checksumming",
  "tcp-segmentation-offload",
  "generic-segmentation-offload",
  "generic-receive-offload",
] as const;

/** Creates both namespaces, the veth pair and the addresses; undo with destroyTopology. */
export async function createTopology(topology: Topology): Promise<void> {
  const ends = [
    [topology.client, topology.clientInterface, topology.clientV4, topology.clientV6],
    [topology.server, topology.serverInterface, topology.serverV4, topology.serverV6],
  ] as const;
  for (const [namespace] of ends) {
    await run(["ip", "netns", "add", namespace]);
    await run(
      inNamespace(namespace, [
        "sysctl",
        "-q",
        "-w",
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.default.router_solicitations=0",
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0",
      ]),
    );
    await run(["ip", "-n", namespace, "link", "set", "lo", "up"]);
  }
  await run([
    "ip",
    "-n",
    topology.client,
    "link",
    "add",
    topology.clientInterface,
    "type",
    "veth",
    "peer",
    "name",
    topology.serverInterface,
    "netns",
    topology.server,
  ]);
  for (const [namespace, device, v4, v6] of ends) {
    await run(inNamespace(namespace, ["ethtool", "-K", device, ...OFFLOADS_OFF]));
    await assertOffloadsOff(namespace, device);
    await run(["ip", "-n", namespace, "addr", "add", `${v4}/${topology.prefixV4}`, "dev", device]);
    await run([
      "ip",
      "-n",
      namespace,
      "addr",
      "add",
      `${v6}/${topology.prefixV6}`,
      "dev",
      device,
      "nodad",
    ]);
    await run(["ip", "-n", namespace, "link", "set", device, "up"]);
  }
}

/** Deletes both namespaces (and with them the veth pair); never throws. */
export async function destroyTopology(topology: Topology): Promise<void> {
  for (const namespace of [topology.client, topology.server]) {
    await run(["ip", "netns", "del", namespace], { okExitCodes: [0, 1] }).catch(() => undefined);
  }
}

async function assertOffloadsOff(namespace: string, device: string): Promise<void> {
  const { stdout } = await run(inNamespace(namespace, ["ethtool", "-k", device]));
  for (const feature of REQUIRED_OFF_FEATURES) {
    const line = stdout.split("\n").find((l) => l.startsWith(`${feature}:`));
    if (line === undefined || !/:\s*off/.test(line)) {
      throw new OffloadStillOnError(namespace, device, feature, line);
    }
  }
}
