import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Addresses,
  createTopology,
  enableForwardingWithMasquerade,
  have,
  startWireguardGo,
  type Topology,
  uniqueInterfaceName,
  wgKeyPair,
} from "@fz/netns";

const ready =
  process.getuid?.() === 0 && have("ip") && have("wireguard-go") && have("wg") && have("nft");

describe.skipIf(!ready)("client | gateway | resource topology", () => {
  let topology: Topology;
  beforeAll(() => {
    topology = createTopology(`fznt${process.pid}`);
  });
  afterAll(() => topology.destroy());

  test("the resource LAN is unreachable from the client without a tunnel", () => {
    const ping = topology.client.tryExec(["ping", "-c", "1", "-W", "1", Addresses.resource4]);
    expect(ping.exitCode).not.toBe(0);
    const underlay = topology.client.tryExec([
      "ping",
      "-c",
      "1",
      "-W",
      "2",
      Addresses.gatewayUnderlay4,
    ]);
    expect(underlay.stdout).toContain("1 received");
  });

  test("stock wireguard-go on client and gateway carries v4 and v6 to the resource LAN", async () => {
    const gatewayWg = uniqueInterfaceName();
    const clientWg = uniqueInterfaceName();
    const clientKeys = wgKeyPair();
    const gatewayKeys = wgKeyPair();
    await startWireguardGo(topology.gateway, {
      interfaceName: gatewayWg,
      privateKey: gatewayKeys.privateKey,
      listenPort: 51820,
      addresses: ["100.64.0.1/32", "fd00:2021:1111::1/128"],
      peers: [
        { publicKey: clientKeys.publicKey, allowedIps: ["100.64.0.2/32", "fd00:2021:1111::2/128"] },
      ],
      routes: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
    });
    enableForwardingWithMasquerade(topology.gateway, "lan0");
    await startWireguardGo(topology.client, {
      interfaceName: clientWg,
      privateKey: clientKeys.privateKey,
      addresses: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
      peers: [
        {
          publicKey: gatewayKeys.publicKey,
          endpoint: `${Addresses.gatewayUnderlay4}:51820`,
          allowedIps: [Addresses.resourceLan4, Addresses.resourceLan6],
        },
      ],
      routes: [Addresses.resourceLan4, Addresses.resourceLan6],
    });
    const ping4 = topology.client.tryExec(["ping", "-c", "2", "-W", "3", Addresses.resource4]);
    expect(ping4.stdout + ping4.stderr).toContain("2 received");
    const ping6 = topology.client.tryExec([
      "ping",
      "-6",
      "-c",
      "2",
      "-W",
      "3",
      Addresses.resource6,
    ]);
    expect(ping6.stdout).toContain("2 received");
    const handshake = topology.client.exec(["wg", "show", clientWg, "latest-handshakes"]);
    expect(Number(handshake.trim().split(/\s+/)[1])).toBeGreaterThan(0);
  }, 30_000);
});

test("destroy removes the namespaces", async () => {
  if (!ready) return;
  const topology = createTopology(`fzdx${process.pid}`);
  await topology.destroy();
  const left = Bun.spawnSync(["ip", "netns", "list"]).stdout.toString();
  expect(left).not.toContain(`fzdx${process.pid}`);
});
