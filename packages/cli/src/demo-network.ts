import { randomUUID } from "node:crypto";
import { Addresses, addAddress, dnsmasqListeningOn, type NetnsHost, tryRun } from "@fz/netns";
import { DEMO_DNS_SERVER, DEMO_NAME } from "./demo-config.ts";

export const HTTP_PORT = 8080;
const READY_TIMEOUT_MS = 5_000;

/** The namespaces createTopology(prefix) makes. */
export function namespaceNames(prefix: string): string[] {
  return [`${prefix}-client`, `${prefix}-gw`, `${prefix}-res`];
}

/** Which of the demo's namespaces exist already (`ip netns list` prints `name (id: N)`). */
export function existingNamespaces(prefix: string): string[] {
  const listed = new Set(
    tryRun(["ip", "netns", "list"])
      .stdout.split("\n")
      .map((line) => line.split(" ")[0]),
  );
  return namespaceNames(prefix).filter((name) => listed.has(name));
}

/**
 * Gives `host` its own resolv.conf (/etc/netns/NAME/resolv.conf) with a line no other file has,
 * and says whether programs there see it as /etc/resolv.conf. `ip netns exec` only tries to
 * bind-mount it there and runs the command anyway when that fails (no /etc/resolv.conf on the
 * machine, a dangling symlink): a client told to set the system resolver would then rewrite
 * the machine's own file.
 */
export function giveOwnResolvConf(host: NetnsHost): boolean {
  const marker = `# ${host.name}'s own resolv.conf (firezone demo ${randomUUID()}); the client points it at its sentinels`;
  host.writeResolvConf(`${marker}\n`);
  return seesResolvConf(host, marker);
}

/** Whether /etc/resolv.conf, as programs in `host` see it, has the line `marker`. */
export function seesResolvConf(host: NetnsHost, marker: string): boolean {
  return host.tryExec(["cat", "/etc/resolv.conf"]).stdout.split("\n").includes(marker);
}

/**
 * dnsmasq on the resource LAN's DNS address, answering DEMO_NAME and nothing else. In a session
 * of its own, as the HTTP server and the firezone processes: a Ctrl-C in the terminal reaches the
 * demo only, not what its checks talk to.
 */
export async function startDnsmasq(resource: NetnsHost): Promise<void> {
  addAddress(resource, "eth0", `${DEMO_DNS_SERVER}/24`);
  const dnsmasq = resource.spawn(
    [
      "setsid",
      ...dnsmasqListeningOn(DEMO_DNS_SERVER),
      `--host-record=${DEMO_NAME},${Addresses.resource4},${Addresses.resource6}`,
      `--local=/${DEMO_NAME.split(".").slice(1).join(".")}/`,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!resource.tryExec(["ss", "-lun"]).stdout.includes(`${DEMO_DNS_SERVER}:53 `)) {
    if (dnsmasq.exitCode !== null || Date.now() > deadline) {
      dnsmasq.kill("SIGKILL");
      const stderr = await new Response(dnsmasq.stderr).text();
      throw new Error(`dnsmasq did not start: ${stderr.trim() || `exit ${dnsmasq.exitCode}`}`);
    }
    await Bun.sleep(50);
  }
}

/** Each server says where it is and whom it sees: the gateway's LAN address, as it masquerades. */
const HTTP_SERVER = `
for (const hostname of process.argv.slice(1)) {
  Bun.serve({
    hostname,
    port: ${HTTP_PORT},
    fetch: (request, server) =>
      new Response(\`hello from the resource \${hostname}, you came from \${server.requestIP(request)?.address}\\n\`),
  });
}
console.log("ready");
`;

/**
 * A small HTTP server on the resource's IPv4 and IPv6 addresses, in a session of its own (as
 * dnsmasq); resolves once it listens.
 */
export async function startHttpServer(resource: NetnsHost): Promise<void> {
  const server = resource.spawn(
    ["setsid", process.execPath, "-e", HTTP_SERVER, Addresses.resource4, Addresses.resource6],
    { stdout: "pipe", stderr: "pipe" },
  );
  const ready = (async () => {
    if (!(server.stdout instanceof ReadableStream)) return false;
    const decoder = new TextDecoder();
    let seen = "";
    for await (const chunk of server.stdout) {
      seen += decoder.decode(chunk, { stream: true });
      if (seen.includes("ready\n")) return true;
    }
    return false;
  })();
  const listening = await Promise.race([ready, Bun.sleep(READY_TIMEOUT_MS).then(() => false)]);
  if (!listening) {
    server.kill("SIGKILL");
    const stderr = await new Response(server.stderr).text();
    throw new Error(`the HTTP server did not start: ${stderr.trim() || "no output"}`);
  }
}
