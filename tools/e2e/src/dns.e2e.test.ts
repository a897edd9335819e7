import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { BlockList } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Addresses, have, type Topology } from "@fz/netns";
import {
  createDnsTopology,
  type DnsTopology,
  MOVED_TO,
  MOVING_NAME,
  OUTSIDE_ADDRESS,
  OUTSIDE_NAME,
} from "./dns-topology.ts";
import {
  EXAMPLE_DNS_CLIENT_CONFIG,
  EXAMPLE_DNS_GATEWAY_CONFIG,
  type FirezoneProcess,
  removeLogs,
  startFirezone,
} from "./firezone-processes.ts";

const ready =
  process.getuid?.() === 0 &&
  ["ip", "nft", "curl", "python3", "dnsmasq", "dig"].every((tool) => have(tool));
if (!ready) {
  console.warn("dns.e2e.test.ts skipped: it needs root, ip, nft, curl, python3, dnsmasq and dig");
}
const TIMEOUT_MS = 90_000;

const SENTINEL_V4 = "100.100.111.1";

const proxyRanges = new BlockList();
proxyRanges.addSubnet("100.96.0.0", 11, "ipv4");
proxyRanges.addSubnet("fd00:2021:1111:8000::", 107, "ipv6");

const HOST_RESOLV_CONF = "/etc/resolv.conf";
const hostResolvConf = existsSync(HOST_RESOLV_CONF) ? readFileSync(HOST_RESOLV_CONF) : undefined;

let topology: Topology | undefined;
const dnsSetups: DnsTopology[] = [];
const processes: FirezoneProcess[] = [];
const scratch: string[] = [];

afterEach(async () => {
  for (const child of processes.splice(0)) {
    child.process.kill("SIGKILL");
    removeLogs(child);
  }
  await topology?.destroy();
  topology = undefined;
  for (const dns of dnsSetups.splice(0)) dns.cleanUp();
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(() => {
  // The client only ever rewrote its namespace's file: the host's is as it was.
  const now = existsSync(HOST_RESOLV_CONF) ? readFileSync(HOST_RESOLV_CONF) : undefined;
  expect(now?.equals(hostResolvConf ?? Buffer.alloc(0)) ?? hostResolvConf === undefined).toBe(true);
});

/** One dig answer record: name, TTL, type and data. */
interface AnswerRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

function dig(t: Topology, args: readonly string[]): { status: string; answers: AnswerRecord[] } {
  const result = t.client.tryExec([
    "dig",
    "+tries=1",
    "+time=3",
    "+noall",
    "+comments",
    "+answer",
    ...args,
  ]);
  const status = /status: (\w+)/.exec(result.stdout)?.[1] ?? `no reply (${result.stderr.trim()})`;
  const answers = result.stdout
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith(";"))
    .map((line) => {
      const [name = "", ttl = "", , type = "", data = ""] = line.split(/\s+/);
      return { name, ttl: Number(ttl), type, data };
    });
  return { status, answers };
}

/** Asks until an answer comes: the first query can race the tunnel's handshake. */
async function digUntilAnswered(t: Topology, args: readonly string[]) {
  let last = dig(t, args);
  for (let attempt = 0; attempt < 10 && last.answers.length === 0; attempt++) {
    await Bun.sleep(300);
    last = dig(t, args);
  }
  return last;
}

function curl(t: Topology, url: string, maxSeconds = 3) {
  return t.client.tryExec(["curl", "-sS", "--max-time", String(maxSeconds), url]);
}

async function fetchFrom(t: Topology, url: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = curl(t, url);
    if (result.exitCode === 0) return result.stdout;
    await Bun.sleep(250);
  }
  return "";
}

/** The DNS topology of dns-topology.ts, plus hello.txt served over HTTP on the resource. */
function dnsTopology(): { t: Topology; body: string; clientResolvConf: string; dns: DnsTopology } {
  const dns = createDnsTopology(`fzd${process.pid % 100000}`);
  dnsSetups.push(dns);
  const { topology: created, clientResolvConf } = dns;
  topology = created;
  const t = created;
  const root = mkdtempSync(join(tmpdir(), "fz-www-"));
  scratch.push(root);
  const body = `hello through a DNS resource ${process.pid}\n`;
  writeFileSync(join(root, "hello.txt"), body);
  t.resource.spawn(["python3", "-m", "http.server", "8080", "--bind", "::", "--directory", root], {
    stdout: "ignore",
    stderr: "ignore",
  });
  return { t, body, clientResolvConf, dns };
}

async function start(t: Topology): Promise<{ gateway: FirezoneProcess; client: FirezoneProcess }> {
  const gateway = await startFirezone(t.gateway, "gateway", EXAMPLE_DNS_GATEWAY_CONFIG);
  processes.push(gateway);
  const client = await startFirezone(t.client, "client", EXAMPLE_DNS_CLIENT_CONFIG);
  processes.push(client);
  return { gateway, client };
}

describe.skipIf(!ready)("DNS resources end to end", () => {
  test(
    "names resolve to proxy IPs, carry traffic, forward the rest, and resolv.conf comes back",
    async () => {
      const { t, body, clientResolvConf } = dnsTopology();
      const { client } = await start(t);
      const resolvConfPath = `/etc/netns/${t.client.name}/resolv.conf`;

      // The client read its upstream from resolv.conf, then pointed resolv.conf at a sentinel.
      const started = client.records().find((record) => record.message === "client started");
      expect(started?.upstream_dns).toEqual([`${Addresses.gatewayUnderlay4}:53`]);
      const rewritten = readFileSync(resolvConfPath, "utf8");
      expect(rewritten).toContain(`nameserver ${SENTINEL_V4}\n`);
      expect(rewritten).not.toContain(Addresses.gatewayUnderlay4);

      // A and AAAA: four proxy IPs each, TTL 1.
      const a = await digUntilAnswered(t, [`@${SENTINEL_V4}`, "app.internal", "A"]);
      expect(a.status).toBe("NOERROR");
      expect(a.answers).toHaveLength(4);
      for (const record of a.answers) {
        expect(record).toMatchObject({ name: "app.internal.", ttl: 1, type: "A" });
        expect(proxyRanges.check(record.data, "ipv4")).toBe(true);
      }
      const aaaa = dig(t, [`@${SENTINEL_V4}`, "app.internal", "AAAA"]);
      expect(aaaa.answers).toHaveLength(4);
      for (const record of aaaa.answers) {
        expect(record).toMatchObject({ name: "app.internal.", ttl: 1, type: "AAAA" });
        expect(proxyRanges.check(record.data, "ipv6")).toBe(true);
      }

      // Plain dig goes through the rewritten resolv.conf to the sentinel.
      const plain = dig(t, ["app.internal", "A"]);
      expect(plain.answers.map((record) => record.data).sort()).toEqual(
        a.answers.map((record) => record.data).sort(),
      );

      // DNS over TCP to the sentinel: the same answer.
      const overTcp = dig(t, ["+tcp", `@${SENTINEL_V4}`, "app.internal", "A"]);
      expect(overTcp.status).toBe("NOERROR");
      expect(overTcp.answers.map((record) => record.data).sort()).toEqual(
        a.answers.map((record) => record.data).sort(),
      );

      // Traffic to the proxy IPs reaches the resource through the gateway's DNS-resource NAT.
      expect(await fetchFrom(t, "http://app.internal:8080/hello.txt")).toBe(body);
      // wild.internal is no resource of its own: the `*.internal` one (one label) covers it.
      expect(await fetchFrom(t, "http://wild.internal:8080/hello.txt")).toBe(body);

      // A name of the resource that does not resolve on the gateway (NXDOMAIN there) still gets
      // proxy IPs (the client cannot know), but nothing can be reached behind them.
      const gone = dig(t, ["gone.internal", "A"]);
      expect(gone.answers).toHaveLength(4);
      const unreachable = curl(t, "http://gone.internal:8080/hello.txt", 5);
      // curl fails fast with "Couldn't connect" (exit 7), not a timeout (28): the gateway
      // reports the name as unresolvable and the client answers the staged SYNs with ICMP
      // unreachable, for each of the proxy IPs curl tries.
      expect(unreachable.exitCode).toBe(7);
      expect(unreachable.stderr).toContain("Couldn't connect to server");
      expect(unreachable.stdout).toBe("");

      // Names that are no resource go to the client's upstream, outside the tunnel.
      const outside = dig(t, [OUTSIDE_NAME, "A"]);
      expect(outside.status).toBe("NOERROR");
      expect(outside.answers.map((record) => record.data)).toEqual([OUTSIDE_ADDRESS]);
      const outsideOverTcp = dig(t, ["+tcp", OUTSIDE_NAME, "A"]);
      expect(outsideOverTcp.answers.map((record) => record.data)).toEqual([OUTSIDE_ADDRESS]);

      expect(await client.stop()).toBe(0);
      expect(readFileSync(resolvConfPath, "utf8")).toBe(clientResolvConf);
      const restored = client.records().some((r) => r.message === "system resolver restored");
      expect(restored).toBe(true);
    },
    TIMEOUT_MS,
  );

  test(
    "records that change: new connections follow the new address, a running one keeps its own",
    async () => {
      const { t, dns } = dnsTopology();
      // Two servers for the moving name: the resource (A) and a second address (B).
      const root = mkdtempSync(join(tmpdir(), "fz-www-"));
      scratch.push(root);
      for (const [name, body] of [
        ["a", "server A\n"],
        ["b", "server B\n"],
      ] as const) {
        mkdirSync(join(root, name));
        writeFileSync(join(root, name, "who.txt"), body);
        writeFileSync(join(root, name, "big.bin"), Buffer.alloc(1_500_000, name));
      }
      for (const [address, name] of [
        [Addresses.resource4, "a"],
        [MOVED_TO, "b"],
      ] as const) {
        t.resource.spawn(
          [
            "python3",
            "-m",
            "http.server",
            "8081",
            "--bind",
            address,
            "--directory",
            join(root, name),
          ],
          {
            stdout: "ignore",
            stderr: "ignore",
          },
        );
      }
      await start(t);
      const url = (path: string) => `http://${MOVING_NAME}:8081/${path}`;
      expect(await fetchFrom(t, url("who.txt"))).toBe("server A\n");

      // A slow download from A is running when the record moves to B.
      const slow = t.client.spawn(
        ["curl", "-sS", "--limit-rate", "400k", "-o", join(root, "slow.bin"), url("big.bin")],
        {
          stdout: "ignore",
          stderr: "pipe",
        },
      );
      await Bun.sleep(800);
      dns.moveName(MOVED_TO);
      await Bun.sleep(300);
      // The re-query re-creates the NAT: the gateway resolves the name again.
      expect(dig(t, [MOVING_NAME, "A"]).answers).toHaveLength(4);
      let moved = "";
      for (let attempt = 0; attempt < 20 && moved !== "server B\n"; attempt++) {
        moved = curl(t, url("who.txt")).stdout;
        if (moved !== "server B\n") await Bun.sleep(250);
      }
      expect(moved).toBe("server B\n");

      // The download that started before the move finished from A, intact.
      expect(await slow.exited).toBe(0);
      const downloaded = readFileSync(join(root, "slow.bin"));
      expect(downloaded.length).toBe(1_500_000);
      expect(downloaded.every((byte) => byte === "a".charCodeAt(0))).toBe(true);
    },
    TIMEOUT_MS,
  );
});
