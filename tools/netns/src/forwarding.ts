import type { NetnsHost } from "./netns-host.ts";

/**
 * Turns `host` into a router for tunnel traffic: IPv4/IPv6 forwarding on, and an nftables
 * masquerade for everything leaving `outInterface`. The rules live in a table of their own
 * inside the namespace, which dies with it.
 */
export function enableForwardingWithMasquerade(host: NetnsHost, outInterface: string): void {
  host.sysctl("net.ipv4.ip_forward", "1");
  host.sysctl("net.ipv6.conf.all.forwarding", "1");
  host.exec(
    ["nft", "-f", "-"],
    `table inet fz_test_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${outInterface}" masquerade
  }
}
`,
  );
}
