import { parseArgs } from "node:util";
import manifest from "../package.json" with { type: "json" };

/** Where the CLI writes; the bin passes stdout and stderr, tests pass collectors. */
export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Standard input, read whole; only commands that take input call it. */
  readonly readStdin?: () => Promise<string>;
}

/** A subcommand: `firezone <name> ...`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly run: (args: readonly string[], io: CliOutput) => Promise<number> | number;
}

export const VERSION: string = manifest.version;

/** Exit status for a command line that could not be understood, as BSD sysexits' EX_USAGE. */
export const EXIT_USAGE = 64;

// Each command loads its own modules: a tunnel's main thread then carries none of the code
// that only its data-plane Worker runs, and `keygen` none of the tunnel.
const commands: readonly Command[] = [
  {
    name: "client",
    summary: "Run the client: --config FILE (TOML); needs root for the TUN device",
    run: (args, io) =>
      runWithConfig("client", args, io, async (configPath) => {
        const { runClient } = await import("@fz/client");
        return runClient({ configPath, stderr: io.err });
      }),
  },
  {
    name: "gateway",
    summary: "Run the gateway: --config FILE (TOML); needs root for TUN, forwarding and nftables",
    run: (args, io) =>
      runWithConfig("gateway", args, io, async (configPath) => {
        const { runGateway } = await import("@fz/gateway");
        return runGateway({ configPath, stderr: io.err });
      }),
  },
  {
    name: "status",
    summary:
      "Show a running tunnel's peers, handshakes and transfer (as `wg show`): [--interface NAME] [--socket-dir DIR] [--json]",
    run: async (args, io) => (await import("./status.ts")).status(args, io),
  },
  {
    name: "demo",
    summary:
      "Run a client, a gateway and a resource LAN in network namespaces here, and show them working: [--keep]",
    run: async (args, io) => (await import("./demo.ts")).demo(args, io),
  },
  {
    name: "keygen",
    summary: "Print a new private key (as `wg genkey`)",
    run: async (_args, io) => (await import("./keys.ts")).keygen(io),
  },
  {
    name: "pubkey",
    summary: "Read a private key on stdin, print its public key (as `wg pubkey`)",
    run: async (_args, io) =>
      (await import("./keys.ts")).pubkey((await io.readStdin?.()) ?? "", io),
  },
  { name: "help", summary: "Show this help", run: (_args, io) => printHelp(io) },
  { name: "version", summary: "Print the version", run: (_args, io) => printVersion(io) },
];

async function runWithConfig(
  name: string,
  args: readonly string[],
  io: CliOutput,
  run: (configPath: string) => Promise<number>,
): Promise<number> {
  let configPath: string | undefined;
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { config: { type: "string", short: "c" } },
    });
    configPath = parsed.values.config;
  } catch (error) {
    io.err(`firezone ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_USAGE;
  }
  if (configPath === undefined) {
    io.err(`firezone ${name}: missing --config FILE; see the README for an example ${name}.toml\n`);
    return EXIT_USAGE;
  }
  return run(configPath);
}

/** Runs the command line `args` (without the program name) and returns the exit status. */
export async function runCli(args: readonly string[], io: CliOutput): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help") return printHelp(io);
  if (first === "-V" || first === "--version") return printVersion(io);
  const command = commands.find((candidate) => candidate.name === first);
  if (command === undefined) {
    const what = first.startsWith("-") ? `unknown option '${first}'` : `unknown command '${first}'`;
    io.err(`firezone: ${what}; run 'firezone --help' to see the commands\n`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}

function printHelp(io: CliOutput): number {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = [
    `firezone ${VERSION}: Firezone's data plane on Bun, a zero-trust WireGuard client and gateway`,
    "",
    "Usage: firezone <command> [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Options:",
    "  -h, --help     Show this help",
    "  -V, --version  Print the version",
  ];
  io.out(`${lines.join("\n")}\n`);
  return 0;
}

function printVersion(io: CliOutput): number {
  io.out(`firezone ${VERSION}\n`);
  return 0;
}
