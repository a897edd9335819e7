import { readFileSync } from "node:fs";
import type { NetnsHost } from "@fz/netns";

export interface IperfResult {
  readonly mbps: number;
  readonly retransmits: number;
}

/** Reads iperf3's JSON (-J): receiver throughput in Mbit/s and the sender's TCP retransmits. */
export function parseIperfJson(text: string): IperfResult {
  const report = JSON.parse(text) as {
    error?: string;
    end?: { sum_received?: { bits_per_second?: number }; sum_sent?: { retransmits?: number } };
  };
  if (report.error !== undefined) throw new Error(`iperf3: ${report.error}`);
  const bits = report.end?.sum_received?.bits_per_second;
  if (bits === undefined) throw new Error("iperf3 reported no receiver throughput");
  return { mbps: bits / 1e6, retransmits: report.end?.sum_sent?.retransmits ?? 0 };
}

/** Reads the average RTT in milliseconds from ping's summary line. */
export function parsePingAverage(text: string): number {
  const match = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(text);
  if (match?.[1] === undefined)
    throw new Error(`no RTT summary in ping output: ${text.slice(-200)}`);
  return Number(match[1]);
}

/** Peak resident set size of a process in KiB (VmHWM), or undefined when it is gone. */
export async function peakRssKb(pid: number): Promise<number | undefined> {
  // /proc files report size 0, so read them as streams rather than through Bun.file.
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The CPU time a process has used so far, user and system, all threads, in seconds. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseCpuSeconds(stat);
}

/** Reads utime + stime (fields 14 and 15) from a /proc/PID/stat line, at 100 ticks a second. */
export function parseCpuSeconds(stat: string): number | undefined {
  // The command name may hold spaces and parentheses; the fields after its last ")" are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return (user + system) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: Linux reports /proc times in 1/100 s on every architecture it runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export function iperf(
  client: NetnsHost,
  server: string,
  seconds: number,
  reverse: boolean,
): IperfResult {
  const args = ["iperf3", "-c", server, "-t", String(seconds), "-J", ...(reverse ? ["-R"] : [])];
  const run = client.tryExec(args);
  return parseIperfJson(run.stdout || run.stderr);
}

export function pingAverage(client: NetnsHost, target: string, count: number): number {
  const run = client.tryExec(["ping", "-c", String(count), "-i", "0.2", "-q", target]);
  return parsePingAverage(run.stdout);
}
