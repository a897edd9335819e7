/**
 * The traffic the capture records: one scenario per pcap, each a list of commands run in the
 * client namespace against the server namespace.
 */
import type { Topology } from "./netns.ts";
import { CNAME_OUTER, HOST, HOST_V4, HOST_V6, HTTPS, MISSING, MULTI, SRV, TXT } from "./zone.ts";

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Whether the scenario's purpose is DNS messages (it still contributes IP packets). */
  readonly dns: boolean;
  readonly commands: readonly (readonly string[])[];
  /** Exit codes every command may end with; [0] unless given. */
  readonly okExitCodes?: readonly number[];
}

/** The file the HTTP server serves. */
export const HTTP_FILE = "hello.txt";
export const HTTP_BODY = "hello from the fzcap server namespace\n";
export const HTTP_PORT = 80;
/** A UDP port with no listener in the server namespace (discard). */
export const CLOSED_UDP_PORT = 9;

/** Every scenario name, in capture order; the fixture tests check all of them are present. */
export const SCENARIO_NAMES = [
  "ping4",
  "ping6",
  "http4",
  "http6",
  "port-unreachable4",
  "port-unreachable6",
  "fragmented-ping4",
  "fragmented-ping6",
  "a-record",
  "aaaa-record",
  "cname-chain",
  "ptr-v4",
  "ptr-v6",
  "srv-record",
  "txt-record",
  "https-record",
  "multi-a",
  "nxdomain",
  "noedns",
  "edns",
  "udp-over-ipv6",
  "tcp-a",
  "tcp-txt",
  "tcp-keepopen",
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Names of the scenarios that produce DNS messages. */
export const DNS_SCENARIO_NAMES: readonly ScenarioName[] = SCENARIO_NAMES.slice(
  SCENARIO_NAMES.indexOf("a-record"),
);

/** Builds the scenarios for a topology, in SCENARIO_NAMES order. */
export function scenariosFor(topology: Topology): Scenario[] {
  const dig = (...args: string[]) => [
    "dig",
    `@${topology.serverV4}`,
    "+tries=1",
    "+time=3",
    ...args,
  ];
  const digOverV6 = (...args: string[]) => [
    "dig",
    `@${topology.serverV6}`,
    "+tries=1",
    "+time=3",
    ...args,
  ];
  const curl = (host: string) => [
    "curl",
    "--silent",
    "--show-error",
    "--fail",
    "--noproxy",
    "*",
    "--max-time",
    "5",
    "--output",
    "/dev/null",
    `http://${host}:${HTTP_PORT}/${HTTP_FILE}`,
  ];
  const udpToClosedPort = (address: string) => [
    "bash",
    "-c",
    `printf 'fzcap probe' > /dev/udp/${address}/${CLOSED_UDP_PORT}`,
  ];
  const all: Record<ScenarioName, Omit<Scenario, "name">> = {
    ping4: {
      description: "ICMP echo over IPv4",
      dns: false,
      commands: [["ping", "-c", "2", "-i", "0.2", topology.serverV4]],
    },
    ping6: {
      description: "ICMPv6 echo",
      dns: false,
      commands: [["ping", "-6", "-c", "2", "-i", "0.2", topology.serverV6]],
    },
    http4: {
      description: "HTTP GET over TCP/IPv4",
      dns: false,
      commands: [curl(topology.serverV4)],
    },
    http6: {
      description: "HTTP GET over TCP/IPv6",
      dns: false,
      commands: [curl(`[${topology.serverV6}]`)],
    },
    "port-unreachable4": {
      description: "UDP to a closed port, answered by ICMP destination unreachable (port)",
      dns: false,
      commands: [udpToClosedPort(topology.serverV4)],
    },
    "port-unreachable6": {
      description: "UDP to a closed port, answered by ICMPv6 destination unreachable (port)",
      dns: false,
      commands: [udpToClosedPort(topology.serverV6)],
    },
    "fragmented-ping4": {
      description: "a 3000-byte ICMP echo, fragmented by IPv4 both ways",
      dns: false,
      commands: [["ping", "-c", "1", "-s", "3000", topology.serverV4]],
    },
    "fragmented-ping6": {
      description: "a 3000-byte ICMPv6 echo, fragmented with the IPv6 fragment header both ways",
      dns: false,
      commands: [["ping", "-6", "-c", "1", "-s", "3000", topology.serverV6]],
    },
    "a-record": { description: "A query", dns: true, commands: [dig(HOST, "A")] },
    "aaaa-record": { description: "AAAA query", dns: true, commands: [dig(HOST, "AAAA")] },
    "cname-chain": {
      description: "A query answered by CNAME -> CNAME -> A",
      dns: true,
      commands: [dig(CNAME_OUTER, "A")],
    },
    "ptr-v4": {
      description: `PTR query for ${HOST_V4}`,
      dns: true,
      commands: [dig("-x", HOST_V4)],
    },
    "ptr-v6": {
      description: `PTR query for ${HOST_V6}`,
      dns: true,
      commands: [dig("-x", HOST_V6)],
    },
    "srv-record": {
      description: "SRV query (two records, targets' addresses in the additional section)",
      dns: true,
      commands: [dig(SRV, "SRV")],
    },
    "txt-record": {
      description: "TXT query (three strings)",
      dns: true,
      commands: [dig(TXT, "TXT")],
    },
    "https-record": {
      description: "HTTPS (type 65) query with alpn, port and address hints",
      dns: true,
      commands: [dig(HTTPS, "TYPE65")],
    },
    "multi-a": {
      description: "A query answered by three A records",
      dns: true,
      commands: [dig(MULTI, "A")],
    },
    nxdomain: {
      description: "A query for a name that does not exist",
      dns: true,
      commands: [dig(MISSING, "A")],
    },
    noedns: {
      description: "A query without EDNS (no OPT record)",
      dns: true,
      commands: [dig("+noedns", HOST, "A")],
    },
    edns: {
      description: "A query with dig's default EDNS (OPT record with a cookie)",
      dns: true,
      commands: [dig("+edns=0", HOST, "A")],
    },
    "udp-over-ipv6": {
      description: "AAAA query over UDP/IPv6",
      dns: true,
      commands: [digOverV6(HOST, "AAAA")],
    },
    "tcp-a": { description: "A query over TCP", dns: true, commands: [dig("+tcp", HOST, "A")] },
    "tcp-txt": {
      description: "TXT query over TCP/IPv6",
      dns: true,
      commands: [digOverV6("+tcp", TXT, "TXT")],
    },
    "tcp-keepopen": {
      description: "three queries on one TCP connection",
      dns: true,
      commands: [dig("+tcp", "+keepopen", HOST, "A", MULTI, "A", SRV, "SRV")],
    },
  };
  return SCENARIO_NAMES.map((name) => ({ name, ...all[name] }));
}
