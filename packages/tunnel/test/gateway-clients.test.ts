import { describe, expect, test } from "bun:test";
import { formatIpAddress } from "@fz/ip-packet";
import { type ClientAuthorization, GatewayState } from "@fz/tunnel";
import { Device, type Endpoint, type Peer } from "@fz/wireguard";
import {
  echoReplyTo,
  echoRequest,
  GATEWAY_ENDPOINT,
  keyPair,
  network,
  seededRandom,
  v4,
  v6,
} from "./simulation.ts";

const CLIENTS = 300;
const RESOURCE_V4 = v4("198.19.0.2");
const RESOURCE_V6 = v6("fd00:198:19::2");

/** Client `k`'s tunnel addresses: 100.64.0.0/11 and fd00:2021:1111::/107 counted up from 2. */
function tunnelV4(k: number): number {
  return v4("100.64.0.0") + 2 + k;
}

function tunnelV6(k: number, prefix = "fd00:2021:1111::"): Uint8Array {
  const address = v6(prefix);
  new DataView(address.buffer).setUint32(12, 2 + k);
  return address;
}

/** One client played by a raw WireGuard device, from an endpoint of its own. */
interface RemoteClient {
  readonly authorization: ClientAuthorization;
  readonly endpoint: Endpoint;
  readonly device: Device;
  readonly peer: Peer;
}

function remoteClient(
  k: number,
  gatewayPublicKey: Uint8Array,
  random: ReturnType<typeof seededRandom>,
  ipv6 = tunnelV6(k),
): RemoteClient {
  const keys = keyPair(random);
  const device = new Device({ privateKey: keys.privateKey, timeOriginMs: 0, random });
  return {
    authorization: {
      id: `client-${k}`,
      publicKey: keys.publicKey,
      tunnelIpv4: tunnelV4(k),
      tunnelIpv6: ipv6,
      resources: ["lan", "lan6"],
    },
    endpoint: { address: "198.18.2.1", port: 20000 + k },
    device,
    peer: device.addPeer({ publicKey: gatewayPublicKey }, 0),
  };
}

/** Runs a handshake by sending one packet from `client`; the gateway learns its endpoint. */
function connect(gateway: GatewayState, client: RemoteClient): void {
  const request = echoRequest(client.authorization.tunnelIpv4, RESOURCE_V4);
  let datagram = client.peer.encapsulate(request, new Uint8Array(2048), 0);
  for (let round = 0; datagram.type === "write-to-network"; round++) {
    if (round > 4) throw new Error("the handshake does not end");
    const output = gateway.handleDatagram(
      client.endpoint,
      datagram.packet.slice(),
      new Uint8Array(2048),
      0,
    );
    if (output.kind === "tun") return;
    if (output.kind !== "transmit") throw new Error(`the gateway answered ${output.kind}`);
    datagram = client.device.decapsulate(
      GATEWAY_ENDPOINT,
      output.datagram.slice(),
      new Uint8Array(2048),
      0,
    );
  }
  throw new Error(`the client's device answered ${datagram.type}`);
}

/** The endpoint a packet from the LAN went to, and the packet the client's device opened there. */
function deliverFromLan(
  gateway: GatewayState,
  packet: Uint8Array,
  clients: readonly RemoteClient[],
): { to: number | undefined; opened: Uint8Array | undefined } {
  const output = gateway.handleTunPacket(packet, new Uint8Array(2048), 0);
  if (output.kind !== "transmit") return { to: undefined, opened: undefined };
  const client = clients.find((candidate) => candidate.endpoint.port === output.to.port);
  const result = client?.device.decapsulate(
    GATEWAY_ENDPOINT,
    output.datagram.slice(),
    new Uint8Array(2048),
    0,
  );
  const opened =
    result?.type === "write-to-tunnel-v4" || result?.type === "write-to-tunnel-v6"
      ? result.packet.slice()
      : undefined;
  return { to: output.to.port, opened };
}

describe(`a gateway with ${CLIENTS} clients`, () => {
  test("finds the client of every tunnel address, IPv4 and IPv6, among clients sharing an address's last 4 bytes", () => {
    const random = seededRandom(31);
    const gatewayKeys = keyPair(random);
    const clients = Array.from({ length: CLIENTS }, (_, k) =>
      remoteClient(k, gatewayKeys.publicKey, random),
    );
    // Outside the /107 a configuration allows, but a core given it must still tell them apart.
    const twin = remoteClient(
      CLIENTS,
      gatewayKeys.publicKey,
      random,
      tunnelV6(7, "fd00:2021:1111:1::"),
    );
    clients.push(twin);
    const gateway = new GatewayState(
      {
        privateKey: gatewayKeys.privateKey,
        resources: [
          { id: "lan", network: network("198.19.0.0/24") },
          { id: "lan6", network: network("fd00:198:19::/64") },
        ],
        clients: clients.map((client) => client.authorization),
      },
      { timeOriginMs: 0, random },
      0,
    );
    const probes = [0, 7, CLIENTS >> 1, CLIENTS - 1, CLIENTS].map((k) => clients[k]);
    for (const client of probes) if (client) connect(gateway, client);

    for (const client of probes) {
      if (client === undefined) continue;
      const { tunnelIpv4, tunnelIpv6 } = client.authorization;
      for (const packet of [
        echoReplyTo(echoRequest(tunnelIpv4, RESOURCE_V4)),
        echoReplyTo(echoRequest(tunnelIpv6, RESOURCE_V6)),
      ]) {
        const delivered = deliverFromLan(gateway, packet, clients);
        expect({ address: formatIpAddress(tunnelIpv6), ...delivered }).toEqual({
          address: formatIpAddress(tunnelIpv6),
          to: client.endpoint.port,
          opened: packet,
        });
      }
    }
    // Shares its last 4 bytes with two clients but is neither.
    const stranger = echoReplyTo(echoRequest(tunnelV6(7, "fd00:2021:1111:2::"), RESOURCE_V6));
    expect(deliverFromLan(gateway, stranger, clients).to).toBeUndefined();
    expect(gateway.stats().drops["unknown-client"]).toBe(1);
  });
});
