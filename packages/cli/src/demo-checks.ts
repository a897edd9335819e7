import { isIPv6 } from "node:net";
import type { NetnsHost } from "@fz/netns";
import {
  DNS_PROXY_V4_RANGE,
  formatIpNetwork,
  networkContains,
  parseIpNetwork,
} from "@fz/tunnel/config";

/** One thing the demo tried through the tunnel, and what it saw. */
export interface CheckResult {
  readonly ok: boolean;
  readonly line: string;
}

/** `ping -c 3` from `host`: passes when a reply came, and tells the replies and the mean RTT. */
export function ping(host: NetnsHost, address: string): CheckResult {
  const family = isIPv6(address) ? "-6" : "-4";
  const result = host.tryExec(["ping", family, "-c", "3", "-i", "0.2", "-W", "2", address]);
  const received = Number(/(\d+) received/.exec(result.stdout)?.[1] ?? 0);
  const average = /= [\d.]+\/([\d.]+)\//.exec(result.stdout)?.[1];
  const what = `ping ${address}`;
  if (received === 0) {
    return { ok: false, line: `${what}: no reply (${lastLine(result.stdout + result.stderr)})` };
  }
  return { ok: true, line: `${what}: ${received}/3 replies, average RTT ${average} ms` };
}

/**
 * GET `url` from `host` with curl, or with bun's fetch where curl is missing. The first
 * attempts may meet a handshake or a DNS-resource NAT still being set up: try a few times.
 */
export async function httpGet(
  host: NetnsHost,
  url: string,
  useCurl: boolean,
): Promise<CheckResult> {
  const command = useCurl
    ? ["curl", "-fsS", "-g", "--max-time", "3", url]
    : [process.execPath, "-e", FETCH_SCRIPT, url];
  let failure = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = host.tryExec(command);
    if (result.exitCode === 0) {
      const bytes = Buffer.byteLength(result.stdout);
      return { ok: true, line: `GET ${url}: ${bytes} bytes, "${result.stdout.trim()}"` };
    }
    failure = lastLine(result.stderr || result.stdout) || `exit ${result.exitCode}`;
    await Bun.sleep(300);
  }
  return { ok: false, line: `GET ${url}: ${failure}` };
}

const FETCH_SCRIPT = `
const response = await fetch(process.argv[1], { signal: AbortSignal.timeout(3000) });
if (!response.ok) throw new Error("HTTP " + response.status);
process.stdout.write(await response.text());
`;

/**
 * Looks `name` up in `host` as any program there would (getent: nsswitch, then the
 * namespace's resolv.conf, which the client pointed at its sentinel); passes when the answer is
 * a proxy IP. Returns the address for the caller to show.
 */
export function resolveToProxyIp(host: NetnsHost, name: string): CheckResult {
  const result = host.tryExec(["getent", "ahostsv4", name]);
  const address = result.stdout.split(/\s+/)[0] ?? "";
  const what = `${name} resolves`;
  if (address === "") return { ok: false, line: `${what}: no answer (exit ${result.exitCode})` };
  const range = formatIpNetwork(DNS_PROXY_V4_RANGE);
  const answer = parseIpNetwork(address);
  if (answer === undefined || !networkContains(DNS_PROXY_V4_RANGE, answer.address)) {
    return { ok: false, line: `${what} to ${address}, which is not a proxy IP (${range})` };
  }
  return { ok: true, line: `${what} to ${address}, a proxy IP from ${range}` };
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
