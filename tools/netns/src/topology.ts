import { addAddress, connect, NetnsHost } from "./netns-host.ts";

/**
 * client | gateway | resource LAN, the shape every end-to-end test and benchmark uses:
 *
 *   client eth0 ──── eth0 gateway lan0 ──── eth0 resource
 *      198.18.1.2/24   198.18.1.1/24   198.19.0.1/24   198.19.0.2/24
 *      fd00:198:18:1::2 fd00:198:18:1::1 fd00:198:19::1  fd00:198:19::2
 *
 * The client reaches the gateway's underlay address only; the resource LAN is reachable only
 * through a tunnel. The resource routes back through the gateway.
 */
export const Addresses = {
  clientUnderlay4: "198.18.1.2",
  gatewayUnderlay4: "198.18.1.1",
  clientUnderlay6: "fd00:198:18:1::2",
  gatewayUnderlay6: "fd00:198:18:1::1",
  gatewayLan4: "198.19.0.1",
  resource4: "198.19.0.2",
  gatewayLan6: "fd00:198:19::1",
  resource6: "fd00:198:19::2",
  resourceLan4: "198.19.0.0/24",
  resourceLan6: "fd00:198:19::/64",
} as const;

export interface Topology {
  readonly client: NetnsHost;
  readonly gateway: NetnsHost;
  readonly resource: NetnsHost;
  destroy(): Promise<void>;
}

/** Makes the three hosts; `prefix` should be unique per run (the default includes the pid). */
export function createTopology(prefix = `fz${process.pid}`): Topology {
  const hosts: NetnsHost[] = [];
  const destroy = async () => {
    await Promise.all(hosts.map((host) => host.destroy()));
  };
  try {
    const client = NetnsHost.create(`${prefix}-client`);
    hosts.push(client);
    const gateway = NetnsHost.create(`${prefix}-gw`);
    hosts.push(gateway);
    const resource = NetnsHost.create(`${prefix}-res`);
    hosts.push(resource);

    connect(client, "eth0", gateway, "eth0");
    connect(gateway, "lan0", resource, "eth0");
    addAddress(client, "eth0", `${Addresses.clientUnderlay4}/24`);
    addAddress(client, "eth0", `${Addresses.clientUnderlay6}/64`);
    addAddress(gateway, "eth0", `${Addresses.gatewayUnderlay4}/24`);
    addAddress(gateway, "eth0", `${Addresses.gatewayUnderlay6}/64`);
    addAddress(gateway, "lan0", `${Addresses.gatewayLan4}/24`);
    addAddress(gateway, "lan0", `${Addresses.gatewayLan6}/64`);
    addAddress(resource, "eth0", `${Addresses.resource4}/24`);
    addAddress(resource, "eth0", `${Addresses.resource6}/64`);
    resource.exec(["ip", "-4", "route", "add", "default", "via", Addresses.gatewayLan4]);
    resource.exec(["ip", "-6", "route", "add", "default", "via", Addresses.gatewayLan6]);
    return { client, gateway, resource, destroy };
  } catch (error) {
    void destroy();
    throw error;
  }
}
