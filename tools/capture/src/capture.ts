/** Starts the servers, records one pcap per scenario, and reads the tools' versions. */
import { release } from "node:os";
import { BackgroundProcess, inNamespace, run } from "./command.ts";
import { PacketsDroppedError } from "./errors.ts";
import type { ToolVersions } from "./fixtures.ts";
import type { Topology } from "./netns.ts";
import { HTTP_BODY, HTTP_FILE, HTTP_PORT, type Scenario } from "./scenarios.ts";
import { dnsmasqArgs } from "./zone.ts";

/** Time left after a scenario's last command for its last packets (FIN, ICMP errors) to arrive. */
export const SETTLE_MS = 400;

/** The commands the capture needs, and the Debian packages that provide them. */
export const REQUIRED_COMMANDS: Readonly<Record<string, string>> = {
  ip: "iproute2",
  ethtool: "ethtool",
  tcpdump: "tcpdump",
  tshark: "tshark",
  dnsmasq: "dnsmasq-base",
  dig: "bind9-dnsutils",
  curl: "curl",
  python3: "python3",
  ping: "iputils-ping",
  bash: "bash",
};

/** The commands of REQUIRED_COMMANDS that are not on PATH. */
export function missingCommands(): string[] {
  return Object.keys(REQUIRED_COMMANDS).filter((command) => Bun.which(command) === null);
}

/** Starts dnsmasq and the HTTP server in the server namespace; stop them with `stop()`. */
export async function startServers(
  topology: Topology,
  workDir: string,
): Promise<BackgroundProcess[]> {
  const started: BackgroundProcess[] = [];
  try {
    started.push(
      await BackgroundProcess.start(
        inNamespace(topology.server, dnsmasqArgs(topology, `${workDir}/dnsmasq.pid`)),
        /started, version/,
      ),
    );
    await Bun.write(`${workDir}/www/${HTTP_FILE}`, HTTP_BODY);
    started.push(
      await BackgroundProcess.start(
        inNamespace(topology.server, [
          "python3",
          "-u",
          "-m",
          "http.server",
          String(HTTP_PORT),
          "--bind",
          "::",
          "--directory",
          `${workDir}/www`,
        ]),
        /Serving HTTP/,
      ),
    );
    return started;
  } catch (error) {
    for (const process of started.reverse()) await process.stop();
    throw error;
  }
}

/**
 * Fills the neighbour caches and lets the MLD reports of the new interfaces go by, so the
 * scenarios' captures start with their own traffic.
 */
export async function warmUp(topology: Topology): Promise<void> {
  await run(inNamespace(topology.client, ["ping", "-c", "1", topology.serverV4]));
  await run(inNamespace(topology.client, ["ping", "-6", "-c", "1", topology.serverV6]));
  await Bun.sleep(1_500);
}

/** Runs a scenario's commands in the client namespace while tcpdump writes its pcap. */
export async function captureScenario(
  topology: Topology,
  scenario: Scenario,
  pcapPath: string,
): Promise<void> {
  const tcpdump = await BackgroundProcess.start(
    inNamespace(topology.client, [
      "tcpdump",
      "-i",
      topology.clientInterface,
      "-s",
      "0",
      "-U",
      "--immediate-mode",
      "-n",
      "-w",
      pcapPath,
    ]),
    /listening on/,
  );
  try {
    for (const command of scenario.commands) {
      await run(inNamespace(topology.client, command), {
        ...(scenario.okExitCodes === undefined ? {} : { okExitCodes: scenario.okExitCodes }),
      });
    }
    await Bun.sleep(SETTLE_MS);
  } finally {
    await tcpdump.stop();
  }
  const dropped = /(\d+) packets? dropped by kernel/.exec(tcpdump.output)?.[1];
  if (dropped !== undefined && dropped !== "0")
    throw new PacketsDroppedError(scenario.name, dropped);
}

/** The versions the fixtures record: tcpdump, tshark, dnsmasq and the kernel. */
export async function toolVersions(): Promise<ToolVersions> {
  const first = async (argv: string[], pattern: RegExp): Promise<string> => {
    const { stdout, stderr } = await run(argv);
    return pattern.exec(stdout + stderr)?.[1] ?? "unknown";
  };
  return {
    tcpdump: await first(["tcpdump", "--version"], /tcpdump version (\S+)/),
    tshark: await first(["tshark", "--version"], /TShark \(Wireshark\) (\S+?)\.?\s/),
    dnsmasq: await first(["dnsmasq", "--version"], /Dnsmasq version (\S+)/),
    kernel: release(),
  };
}
