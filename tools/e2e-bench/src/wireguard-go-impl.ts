import {
  Addresses,
  enableForwardingWithMasquerade,
  startWireguardGo,
  uniqueInterfaceName,
  wgKeyPair,
} from "@fz/netns";
import type { TunnelImpl } from "./impl.ts";

const GATEWAY_PORT = 51820;

/** Debian's wireguard-go on both ends, with kernel forwarding and masquerade on the gateway. */
export const wireguardGoImpl: TunnelImpl = {
  name: "wireguard-go",
  async start(topology) {
    const client = wgKeyPair();
    const gateway = wgKeyPair();
    const gatewayInterface = uniqueInterfaceName();
    const clientInterface = uniqueInterfaceName();
    const gatewayPid = await startWireguardGo(topology.gateway, {
      interfaceName: gatewayInterface,
      privateKey: gateway.privateKey,
      listenPort: GATEWAY_PORT,
      addresses: ["100.64.0.1/32", "fd00:2021:1111::1/128"],
      peers: [
        { publicKey: client.publicKey, allowedIps: ["100.64.0.2/32", "fd00:2021:1111::2/128"] },
      ],
      routes: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
    });
    enableForwardingWithMasquerade(topology.gateway, "lan0");
    const clientPid = await startWireguardGo(topology.client, {
      interfaceName: clientInterface,
      privateKey: client.privateKey,
      addresses: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
      peers: [
        {
          publicKey: gateway.publicKey,
          endpoint: `${Addresses.gatewayUnderlay4}:${GATEWAY_PORT}`,
          allowedIps: [Addresses.resourceLan4, Addresses.resourceLan6],
        },
      ],
      routes: [Addresses.resourceLan4, Addresses.resourceLan6],
    });
    return { clientPid, gatewayPid };
  },
};
