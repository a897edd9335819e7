import { describe, expect, test } from "bun:test";
import {
  DNS_SCENARIO_NAMES,
  dnsmasqArgs,
  HTTPS_RDATA_HEX,
  REQUIRED_COMMANDS,
  SCENARIO_NAMES,
  scenariosFor,
  topologyFor,
} from "@fz/capture";

const topology = topologyFor(4242);

describe("topologyFor", () => {
  test("names the namespaces after the tool and the pid, with interface names Linux accepts", () => {
    expect([topology.client, topology.server]).toEqual(["fzcap-4242-client", "fzcap-4242-server"]);
    expect(topology.clientInterface.length).toBeLessThanOrEqual(15);
    expect(topology.serverInterface.length).toBeLessThanOrEqual(15);
  });

  test("uses only the benchmark range and the project's ULA prefix", () => {
    for (const v4 of [topology.clientV4, topology.serverV4]) expect(v4).toMatch(/^198\.1[89]\./);
    for (const v6 of [topology.clientV6, topology.serverV6]) expect(v6).toStartWith("fd00:198:18:");
  });
});

describe("scenariosFor", () => {
  const scenarios = scenariosFor(topology);

  test("lists SCENARIO_NAMES in order, the DNS ones flagged as such", () => {
    expect(scenarios.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    expect(scenarios.filter((s) => s.dns).map((s) => s.name)).toEqual([...DNS_SCENARIO_NAMES]);
  });

  test("runs only commands the capture checks for, against the server's addresses", () => {
    for (const scenario of scenarios) {
      expect(scenario.commands.length).toBeGreaterThan(0);
      for (const command of scenario.commands) {
        expect(Object.keys(REQUIRED_COMMANDS)).toContain(command[0] ?? "");
        expect(command.join(" ")).toMatch(/198\.18\.0\.2|fd00:198:18::2/);
      }
    }
  });
});

describe("dnsmasqArgs", () => {
  const args = dnsmasqArgs(topology, "/tmp/x.pid");

  test("ignores every system file and listens only on the server's addresses", () => {
    for (const flag of [
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--keep-in-foreground",
      "--bind-interfaces",
    ]) {
      expect(args).toContain(flag);
    }
    expect(args.filter((a) => a.startsWith("--listen-address="))).toEqual([
      `--listen-address=${topology.serverV4}`,
      `--listen-address=${topology.serverV6}`,
    ]);
    expect(args).toContain("--pid-file=/tmp/x.pid");
  });

  test("passes values without shell quotes, since no shell reads them", () => {
    for (const arg of args) expect(arg).not.toContain('"');
  });

  test("serves an HTTPS RDATA whose SvcParams are well formed and in key order", () => {
    const rdata = Buffer.from(HTTPS_RDATA_HEX, "hex");
    expect(rdata.readUInt16BE(0)).toBe(1);
    expect(rdata[2]).toBe(0); // target "."
    const keys: number[] = [];
    let offset = 3;
    while (offset < rdata.length) {
      keys.push(rdata.readUInt16BE(offset));
      offset += 4 + rdata.readUInt16BE(offset + 2);
    }
    expect(offset).toBe(rdata.length);
    expect(keys).toEqual([1, 3, 4, 6]);
  });
});
