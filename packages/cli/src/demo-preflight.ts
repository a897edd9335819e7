import { existsSync } from "node:fs";

/** What the demo needs from the machine, or would like to have. */
export interface Requirement {
  readonly what: string;
  readonly met: boolean;
  /** How to get it, when it is missing. */
  readonly fix: string;
}

/** How to look at the machine; tests pass their own. */
export interface Machine {
  readonly uid: number | undefined;
  readonly exists: (path: string) => boolean;
  readonly have: (program: string) => boolean;
}

export const thisMachine: Machine = {
  uid: process.getuid?.(),
  exists: existsSync,
  // The PATH the demo's children get (process.env, as it is now); Bun.which alone reads the
  // one the process started with.
  have: (program) => {
    const path = process.env.PATH;
    return Bun.which(program, path === undefined ? {} : { PATH: path }) !== null;
  },
};

export interface Preflight {
  /** Without any of these the demo cannot run. */
  readonly required: readonly Requirement[];
  /** Without dnsmasq the DNS resource is left out; without curl, bun fetches. */
  readonly dnsmasq: Requirement;
  readonly curl: Requirement;
}

export function checkMachine(machine: Machine): Preflight {
  const tool = (program: string, what: string, debianPackage: string): Requirement => ({
    what,
    met: machine.have(program),
    fix: `install ${debianPackage} (Debian/Ubuntu: sudo apt-get install ${debianPackage})`,
  });
  return {
    required: [
      {
        what: "running as root",
        met: machine.uid === 0,
        fix: "run it as root: sudo bunx firezone demo (namespaces, TUN devices and nftables need it)",
      },
      {
        what: "/dev/net/tun",
        met: machine.exists("/dev/net/tun"),
        fix: "load the TUN driver: sudo modprobe tun (in a container, pass --device /dev/net/tun)",
      },
      tool("ip", "ip (network namespaces)", "iproute2"),
      tool("nft", "nft (the gateway's masquerade)", "nftables"),
      tool("ping", "ping", "iputils-ping"),
    ],
    dnsmasq: {
      ...tool("dnsmasq", "dnsmasq (the DNS resource's name server)", "dnsmasq"),
      fix: "the DNS resource is left out; to see it, install dnsmasq (Debian/Ubuntu: sudo apt-get install dnsmasq)",
    },
    curl: { ...tool("curl", "curl", "curl"), fix: "HTTP goes through bun's fetch instead" },
  };
}
