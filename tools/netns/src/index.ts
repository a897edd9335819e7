export { CommandError, type CommandResult, have, run, tryRun } from "./command.ts";
export { dnsmasqListeningOn } from "./dnsmasq.ts";
export { enableForwardingWithMasquerade } from "./forwarding.ts";
export { addAddress, connect, NetnsHost } from "./netns-host.ts";
export { Addresses, createTopology, type Topology } from "./topology.ts";
export {
  startWireguardGo,
  uniqueInterfaceName,
  type WireguardGoConfig,
  type WireguardGoPeer,
  wgKeyPair,
} from "./wireguard-go.ts";
