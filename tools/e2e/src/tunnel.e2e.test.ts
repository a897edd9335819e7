import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Addresses,
  createTopology,
  enableForwardingWithMasquerade,
  have,
  run,
  startWireguardGo,
  type Topology,
  uniqueInterfaceName,
} from "@fz/netns";
import {
  EXAMPLE_CLIENT_CONFIG,
  EXAMPLE_GATEWAY_CONFIG,
  FIREZONE_BIN,
  type FirezoneProcess,
  removeLogs,
  startFirezone,
} from "./firezone-processes.ts";
import { wgShowDump } from "./wg-show.ts";

const ready =
  process.getuid?.() === 0 &&
  ["ip", "wireguard-go", "wg", "nft", "ping", "curl", "python3"].every((tool) => have(tool));
const TIMEOUT_MS = 90_000;

interface ExampleKeys {
  readonly clientPrivate: string;
  readonly clientPublic: string;
  readonly gatewayPrivate: string;
  readonly gatewayPublic: string;
}

function exampleKeys(): ExampleKeys {
  const client = Bun.TOML.parse(readFileSync(EXAMPLE_CLIENT_CONFIG, "utf8")) as {
    private_key: string;
    gateways: { public_key: string }[];
  };
  const gateway = Bun.TOML.parse(readFileSync(EXAMPLE_GATEWAY_CONFIG, "utf8")) as {
    private_key: string;
    clients: { public_key: string }[];
  };
  return {
    clientPrivate: client.private_key,
    clientPublic: gateway.clients[0]?.public_key ?? "",
    gatewayPrivate: gateway.private_key,
    gatewayPublic: client.gateways[0]?.public_key ?? "",
  };
}

let topology: Topology | undefined;
const processes: FirezoneProcess[] = [];
const scratch: string[] = [];

afterEach(async () => {
  for (const child of processes.splice(0)) {
    child.process.kill("SIGKILL");
    removeLogs(child);
  }
  await topology?.destroy();
  topology = undefined;
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fresh(): Topology {
  topology = createTopology(`fze${process.pid % 100000}`);
  return topology;
}

async function start(
  host: Topology["client"],
  role: "client" | "gateway",
  config: string,
): Promise<FirezoneProcess> {
  const child = await startFirezone(host, role, config);
  processes.push(child);
  return child;
}

/** An HTTP server on the resource, both families, serving one known file. */
function serveHttp(t: Topology): string {
  const root = mkdtempSync(join(tmpdir(), "fz-www-"));
  scratch.push(root);
  const body = `hello through the tunnel ${process.pid}\n`;
  writeFileSync(join(root, "hello.txt"), body);
  t.resource.spawn(["python3", "-m", "http.server", "8080", "--bind", "::", "--directory", root], {
    stdout: "ignore",
    stderr: "ignore",
  });
  return body;
}

async function fetchFrom(t: Topology, url: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = t.client.tryExec(["curl", "-s", "--max-time", "3", url]);
    if (result.exitCode === 0) return result.stdout;
    await Bun.sleep(250);
  }
  return "";
}

function pings(t: Topology, target: string, count = 3): string {
  const v6 = target.includes(":");
  const result = t.client.tryExec([
    "ping",
    ...(v6 ? ["-6"] : []),
    "-c",
    String(count),
    "-i",
    "0.3",
    "-W",
    "2",
    target,
  ]);
  return result.stdout + result.stderr;
}

/** Accepts one TCP connection on (argv[1], argv[2]) and prints the bytes' count and SHA-256. */
const TCP_SINK = `
import hashlib, socket, sys
server = socket.create_server((sys.argv[1], int(sys.argv[2])), family=socket.AF_INET6)
connection, _ = server.accept()
digest, count = hashlib.sha256(), 0
while chunk := connection.recv(1 << 16):
    digest.update(chunk)
    count += len(chunk)
print(count, digest.hexdigest())
`;

/** Sends the file argv[3] to (argv[1], argv[2]) over TCP. */
const TCP_SOURCE = `
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as connection, open(sys.argv[3], "rb") as data:
    connection.sendall(data.read())
`;

/** The example config with `tun_offload = false` (a top-level key, so before every table). */
function withoutOffloads(example: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fz-config-"));
  scratch.push(dir);
  const path = join(dir, "config.toml");
  writeFileSync(path, `tun_offload = false\n${readFileSync(example, "utf8")}`);
  return path;
}

function startedRecord(child: FirezoneProcess): Record<string, unknown> {
  return child.records().find((record) => String(record.message).endsWith(" started")) ?? {};
}

/** Polls `find` every 100 ms for up to 5 s. */
async function until<T>(find: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = find();
    if (found !== undefined) return found;
    await Bun.sleep(100);
  }
  throw new Error("not found in time");
}

/** Writes a variant of an example config: extra TOML appended, for scenarios the example does not cover. */
function variant(example: string, extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fz-config-"));
  scratch.push(dir);
  const path = join(dir, "config.toml");
  writeFileSync(path, `${readFileSync(example, "utf8")}\n${extra}`);
  return path;
}

describe.skipIf(!ready)("our client and gateway, with the example configs", () => {
  test(
    "ping and HTTP reach the CIDR resource over IPv4 and IPv6",
    async () => {
      const t = fresh();
      const body = serveHttp(t);
      const gateway = await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      // The client without TUN offloads (bare packets), the gateway with them.
      const client = await start(t.client, "client", withoutOffloads(EXAMPLE_CLIENT_CONFIG));
      expect(startedRecord(client).tun_offload).toBe("off");
      expect(startedRecord(gateway).tun_offload).toBe("tso");
      expect(pings(t, Addresses.resource4)).toContain("3 received");
      expect(pings(t, Addresses.resource6)).toContain("3 received");
      expect(await fetchFrom(t, `http://${Addresses.resource4}:8080/hello.txt`)).toBe(body);
      expect(await fetchFrom(t, `http://[${Addresses.resource6}]:8080/hello.txt`)).toBe(body);
      // `firezone status` and the real `wg show` read each tunnel's status socket.
      const keys = exampleKeys();
      const status = Bun.spawnSync(["bun", FIREZONE_BIN, "status", "--socket-dir", client.logDir]);
      const text = status.stdout.toString();
      expect({ exit: status.exitCode, err: status.stderr.toString() }).toEqual({
        exit: 0,
        err: "",
      });
      expect(text).toContain(`peer: ${keys.gatewayPublic}`);
      expect(text).toContain(`endpoint: ${Addresses.gatewayUnderlay4}:51820`);
      expect(text).toContain("allowed ips: 198.19.0.0/24, fd00:198:19::/64");
      expect(text).toMatch(/latest handshake: (Now|\d+ seconds? ago)/);
      expect(text).toMatch(/transfer: [\d.]+ KiB received, [\d.]+ KiB sent/);
      const [device = [], peer = []] = wgShowDump(gateway.logDir, "tun-firezone");
      expect(device.slice(0, 3)).toEqual([keys.gatewayPrivate, keys.gatewayPublic, "51820"]);
      expect(peer[0]).toBe(keys.clientPublic);
      expect(peer[2]).toMatch(
        new RegExp(`^${Addresses.clientUnderlay4.replaceAll(".", "\\.")}:\\d+$`),
      );
      expect(peer[3]).toBe("100.64.0.2/32,fd00:2021:1111::2/128");
      expect(Math.abs(Number(peer[4]) - Date.now() / 1000)).toBeLessThan(60);
      expect(Number(peer[5])).toBeGreaterThan(1000);
      // Both re-executed themselves in place (same pid) without JSC's FTL tier.
      for (const { process: child } of [gateway, client]) {
        const environment = readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0");
        expect(environment).toContain("BUN_JSC_useFTLJIT=0");
      }
    },
    TIMEOUT_MS,
  );

  test(
    "the tunnel runs over an IPv6 underlay too, bulk transfers included",
    async () => {
      const t = fresh();
      const root = mkdtempSync(join(tmpdir(), "fz-www-"));
      scratch.push(root);
      // 4 MB: long TCP runs, so the sender's GSO batches and the receiver's full recvmmsg
      // batches cross the IPv6 underlay, not only single pings.
      const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7919) & 0xff);
      writeFileSync(join(root, "big.bin"), big);
      t.resource.spawn(
        ["python3", "-m", "http.server", "8080", "--bind", "::", "--directory", root],
        { stdout: "ignore", stderr: "ignore" },
      );
      // The IPv4 underlay is closed, inside the client's namespace: only IPv6 can carry it.
      t.client.exec(
        ["nft", "-f", "-"],
        [
          "table inet fz_v4_underlay_closed {",
          "  chain output { type filter hook output priority 0;",
          `    ip daddr ${Addresses.gatewayUnderlay4} udp dport 51820 drop`,
          "  }",
          "}",
        ].join("\n"),
      );
      await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      const dir = mkdtempSync(join(tmpdir(), "fz-config-"));
      scratch.push(dir);
      const config = join(dir, "client.toml");
      const text = readFileSync(EXAMPLE_CLIENT_CONFIG, "utf8");
      const v6 = text.replace(
        `endpoint = "${Addresses.gatewayUnderlay4}:51820"`,
        `endpoint = "[${Addresses.gatewayUnderlay6}]:51820"`,
      );
      expect(v6).not.toBe(text);
      writeFileSync(config, v6);
      const client = await start(t.client, "client", config);
      expect(pings(t, Addresses.resource4)).toContain("3 received");
      expect(pings(t, Addresses.resource6)).toContain("3 received");
      const download = join(dir, "big.bin");
      const fetched = t.client.tryExec([
        "curl",
        "-sS",
        "--max-time",
        "20",
        "-o",
        download,
        `http://[${Addresses.resource6}]:8080/big.bin`,
      ]);
      expect(fetched.exitCode).toBe(0);
      expect(new Uint8Array(readFileSync(download))).toEqual(big);

      // And 4 MB up: the client's TCP hands its TUN device 64 KiB super-packets (TSO), which the
      // client cuts into segments; the resource checks every byte.
      const upload = join(dir, "up.bin");
      writeFileSync(upload, big);
      const sink = t.resource.spawn(["python3", "-c", TCP_SINK, "::", "9000"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      await Bun.sleep(300);
      const sent = t.client.tryExec([
        "python3",
        "-c",
        TCP_SOURCE,
        Addresses.resource6,
        "9000",
        upload,
      ]);
      expect(sent.stderr).toBe("");
      const received = (await new Response(sink.stdout).text()).trim();
      expect(received).toBe(
        `${big.length} ${new Bun.CryptoHasher("sha256").update(big).digest("hex")}`,
      );
      client.process.kill("SIGUSR1");
      const stats = await until(() =>
        client.records().find((record) => record.message === "client stats"),
      );
      const io = (
        stats as { io: { tunSuperPackets: number; tunMalformed: number; tunMergedPackets: number } }
      ).io;
      expect(io.tunSuperPackets).toBeGreaterThan(0);
      // The download came back as runs of segments merged into super-packets (GRO).
      expect(io.tunMergedPackets).toBeGreaterThan(0);
      expect(io.tunMalformed).toBe(0);
    },
    TIMEOUT_MS,
  );

  test(
    "a destination the client is not granted is answered ICMP administratively prohibited",
    async () => {
      const t = fresh();
      await start(
        t.gateway,
        "gateway",
        variant(
          EXAMPLE_GATEWAY_CONFIG,
          '[[resources]]\nid = "other"\ntype = "cidr"\naddress = "198.19.1.0/24"\n\n[[resources]]\nid = "other6"\ntype = "cidr"\naddress = "fd00:198:20::/64"\n',
        ),
      );
      const client = variant(
        EXAMPLE_CLIENT_CONFIG,
        '[[resources]]\nid = "other"\ntype = "cidr"\naddress = "198.19.1.0/24"\ngateway = "office"\n\n[[resources]]\nid = "other6"\ntype = "cidr"\naddress = "fd00:198:20::/64"\ngateway = "office"\n',
      );
      await start(t.client, "client", client);
      expect(pings(t, Addresses.resource4, 1)).toContain("1 received");
      expect(pings(t, "198.19.1.5", 1)).toContain("Packet filtered");
      expect(pings(t, "fd00:198:20::5", 1)).toContain("Administratively prohibited");
    },
    TIMEOUT_MS,
  );

  test(
    "a peer that spoofs its inner source reaches nothing, and the gateway counts it",
    async () => {
      const t = fresh();
      const keys = exampleKeys();
      const gateway = await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      // A stock WireGuard client holding the client's key, but claiming another tunnel address.
      await startWireguardGo(t.client, {
        interfaceName: uniqueInterfaceName(),
        privateKey: keys.clientPrivate,
        addresses: ["100.64.0.99/32"],
        peers: [
          {
            publicKey: keys.gatewayPublic,
            endpoint: `${Addresses.gatewayUnderlay4}:51820`,
            allowedIps: [Addresses.resourceLan4],
          },
        ],
        routes: [Addresses.resourceLan4],
      });
      expect(pings(t, Addresses.resource4, 2)).toContain("0 received");
      expect(await gateway.stop()).toBe(0);
      const stopping = gateway.records().find((record) => record.message === "gateway stopping");
      const drops = (stopping?.tunnel as { drops: Record<string, number> } | undefined)?.drops;
      expect(drops?.["wrong-source"]).toBeGreaterThanOrEqual(2);
    },
    TIMEOUT_MS,
  );

  test(
    "the gateway restarts mid-run and the client recovers by itself",
    async () => {
      const t = fresh();
      const first = await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      await start(t.client, "client", EXAMPLE_CLIENT_CONFIG);
      expect(pings(t, Addresses.resource4, 2)).toContain("2 received");
      expect(await first.stop()).toBe(0);
      await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      const began = Date.now();
      let recovered = false;
      while (!recovered && Date.now() - began < 40_000) {
        recovered = pings(t, Addresses.resource4, 1).includes("1 received");
      }
      expect(recovered).toBe(true);
      // Keepalive timeout (10 s) + rekey timeout (5 s) + jitter bound how long it takes.
      expect(Date.now() - began).toBeLessThan(25_000);
    },
    TIMEOUT_MS,
  );

  test(
    "a TUN interface deleted under the client ends it with a clear error, not a spinning core",
    async () => {
      const t = fresh();
      await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      const client = await start(t.client, "client", EXAMPLE_CLIENT_CONFIG);
      const resolvConf = `/etc/netns/${t.client.name}/resolv.conf`;
      const before = readFileSync(resolvConf, "utf8");
      t.client.exec(["ip", "link", "del", "tun-firezone"]);
      const status = await Promise.race([client.process.exited, Bun.sleep(10_000)]);
      expect(status).toBe(1);
      const failure = client.records().find((record) => record.message === "data plane failed");
      expect(String(failure?.error)).toContain("the TUN device fails every read");
      // It still put the resolver file back on the way out.
      expect(readFileSync(resolvConf, "utf8")).not.toBe(before);
      expect(client.records().some((r) => r.message === "system resolver restored")).toBe(true);
    },
    TIMEOUT_MS,
  );
});

describe.skipIf(!ready)("interop with stock WireGuard", () => {
  test(
    "our client with wireguard-go in the gateway's place",
    async () => {
      const t = fresh();
      const keys = exampleKeys();
      await startWireguardGo(t.gateway, {
        interfaceName: uniqueInterfaceName(),
        privateKey: keys.gatewayPrivate,
        listenPort: 51820,
        addresses: ["100.64.0.1/32", "fd00:2021:1111::1/128"],
        peers: [
          { publicKey: keys.clientPublic, allowedIps: ["100.64.0.2/32", "fd00:2021:1111::2/128"] },
        ],
        routes: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
      });
      enableForwardingWithMasquerade(t.gateway, "lan0");
      await start(t.client, "client", EXAMPLE_CLIENT_CONFIG);
      expect(pings(t, Addresses.resource4)).toContain("3 received");
      expect(pings(t, Addresses.resource6)).toContain("3 received");
    },
    TIMEOUT_MS,
  );

  test(
    "a wireguard-go client configured with wg, using our gateway",
    async () => {
      const t = fresh();
      const keys = exampleKeys();
      const body = serveHttp(t);
      await start(t.gateway, "gateway", EXAMPLE_GATEWAY_CONFIG);
      const wg = uniqueInterfaceName();
      await startWireguardGo(t.client, {
        interfaceName: wg,
        privateKey: keys.clientPrivate,
        addresses: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
        peers: [
          {
            publicKey: keys.gatewayPublic,
            endpoint: `${Addresses.gatewayUnderlay4}:51820`,
            allowedIps: [Addresses.resourceLan4, Addresses.resourceLan6],
          },
        ],
        routes: [Addresses.resourceLan4, Addresses.resourceLan6],
      });
      expect(pings(t, Addresses.resource4)).toContain("3 received");
      expect(pings(t, Addresses.resource6)).toContain("3 received");
      expect(await fetchFrom(t, `http://${Addresses.resource4}:8080/hello.txt`)).toBe(body);
      const handshake = run([
        "ip",
        "netns",
        "exec",
        t.client.name,
        "wg",
        "show",
        wg,
        "latest-handshakes",
      ]);
      expect(Number(handshake.trim().split(/\s+/)[1])).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
