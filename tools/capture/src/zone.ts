/**
 * The names the capture's dnsmasq serves, and the dnsmasq command line that serves them
 * (no system configuration, no upstream, bound to the server namespace's addresses only).
 */
import type { Topology } from "./netns.ts";

export const ZONE = "fz.test";
export const HOST = `host.${ZONE}`;
export const HOST_V4 = "198.18.0.10";
export const HOST_V6 = "fd00:198:18::10";
export const CNAME_OUTER = `alias.${ZONE}`;
export const CNAME_INNER = `alias-inner.${ZONE}`;
export const MULTI = `multi.${ZONE}`;
export const MULTI_V4 = ["198.18.0.21", "198.18.0.22", "198.18.0.23"] as const;
export const SRV = `_http._tcp.${ZONE}`;
export const TXT = `txt.${ZONE}`;
export const TXT_STRINGS = ["v=fz1 capture fixture", "second string", "third; with punctuation"];
export const HTTPS = `svc.${ZONE}`;
export const MISSING = `does-not-exist.${ZONE}`;
export const HOST_V4_REVERSE = "10.0.18.198.in-addr.arpa";
export const HOST_V6_REVERSE = `${"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.8.9.1.0.0.0.d.f"}.ip6.arpa`;
export const TTL_SECONDS = 300;
/** Record type 65 (RFC 9460). */
export const TYPE_HTTPS = 65;

/**
 * RDATA of the HTTPS record: priority 1, target ".", alpn=h2,h3, port=443,
 * ipv4hint=198.18.0.10, ipv6hint=fd00:198:18::10.
 */
export const HTTPS_RDATA_HEX = [
  "0001", // SvcPriority
  "00", // TargetName "."
  "0001",
  "0006",
  "026832026833", // alpn: h2, h3
  "0003",
  "0002",
  "01bb", // port: 443
  "0004",
  "0004",
  "c612000a", // ipv4hint
  "0006",
  "0010",
  "fd000198001800000000000000000010", // ipv6hint
].join("");

/** dnsmasq's argv for the server namespace; `pidFile` keeps it out of /run. */
export function dnsmasqArgs(topology: Topology, pidFile: string): string[] {
  return [
    "dnsmasq",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--no-poll",
    "--keep-in-foreground",
    "--log-facility=-",
    "--log-queries",
    `--pid-file=${pidFile}`,
    "--user=root",
    "--bind-interfaces",
    `--listen-address=${topology.serverV4}`,
    `--listen-address=${topology.serverV6}`,
    "--port=53",
    `--local-ttl=${TTL_SECONDS}`,
    `--local=/${ZONE}/`,
    "--local=/18.198.in-addr.arpa/",
    "--local=/8.1.0.0.8.9.1.0.0.0.d.f.ip6.arpa/",
    `--host-record=${HOST},${HOST_V4},${HOST_V6}`,
    `--cname=${CNAME_OUTER},${CNAME_INNER}`,
    `--cname=${CNAME_INNER},${HOST}`,
    ...MULTI_V4.map((address) => `--host-record=${MULTI},${address}`),
    `--srv-host=${SRV},${HOST},80,10,60`,
    `--srv-host=${SRV},${MULTI},8080,20,40`,
    `--txt-record=${TXT},${TXT_STRINGS.join(",")}`,
    `--dns-rr=${HTTPS},${TYPE_HTTPS},${HTTPS_RDATA_HEX}`,
  ];
}
