import { afterAll, beforeAll, expect, test } from "bun:test";
import { NetnsHost } from "@fz/netns";

const ready = process.getuid?.() === 0 && Bun.which("nft") !== null && Bun.which("ip") !== null;
const NS = `fzfwd${process.pid}`;
let host: NetnsHost | undefined;
const inNs = (...command: string[]) =>
  Bun.spawnSync(["ip", "netns", "exec", NS, ...command], { stdout: "pipe", stderr: "pipe" });

beforeAll(() => {
  if (ready) host = NetnsHost.create(NS);
});
afterAll(async () => {
  await host?.destroy();
});

test.skipIf(!ready)(
  "forwarding and the masquerade are on while running, and exactly undone after",
  () => {
    const program = `
import { readFileSync } from "node:fs";
import { enableForwarding } from "@fz/gateway";
const logger = { info() {}, warn() {} };
const read = () => ({
  v4: readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
  v6: readFileSync("/proc/sys/net/ipv6/conf/all/forwarding", "utf8").trim(),
  ruleset: Bun.spawnSync(["nft", "list", "ruleset"]).stdout.toString(),
});
const before = read();
const forwarding = enableForwarding({ tunName: "tun-fz", egressInterface: "lan0", tunnelRanges: { v4: "100.64.0.0/11", v6: "fd00:2021:1111::/107" }, logger });
const during = read();
forwarding.undo();
console.log(JSON.stringify({ before, during, after: read() }));
`;
    const run = inNs("bun", "-e", program);
    expect(run.stderr.toString()).toBe("");
    const { before, during, after } = JSON.parse(run.stdout.toString());
    expect([before.v4, before.v6]).toEqual(["0", "0"]);
    expect([during.v4, during.v6]).toEqual(["1", "1"]);
    expect(during.ruleset).toContain("table inet firezone_gateway");
    expect(during.ruleset).toContain('ip saddr 100.64.0.0/11 oifname "lan0" masquerade');
    expect(during.ruleset).toContain('ip6 saddr fd00:2021:1111::/107 oifname "lan0" masquerade');
    expect(after).toEqual(before);
  },
);
