import { parseArgs } from "node:util";
import { type CliOutput, EXIT_USAGE } from "./cli.ts";
import { existingNamespaces } from "./demo-network.ts";
import { checkMachine, thisMachine } from "./demo-preflight.ts";
import { DemoReport } from "./demo-report.ts";
import { runDemo } from "./demo-run.ts";
import { EXIT_STATUS } from "./demo-signals.ts";

const DEFAULT_PREFIX = "fzdemo";
/** Namespace names are `<prefix>-client` and the like: keep them plain and short. */
const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

const USAGE = `Usage: sudo bunx firezone demo [--prefix NAME] [--keep]

Builds a client, a gateway and a resource LAN in three network namespaces, runs
'firezone gateway' and 'firezone client' there with fresh keys, and shows traffic
through the tunnel: ping and HTTP over IPv4 and IPv6, and a DNS resource (with dnsmasq).
Then it removes everything it made; the machine's own network and resolv.conf stay as they are.

Options:
  --prefix NAME  Names the namespaces NAME-client, NAME-gw, NAME-res (default ${DEFAULT_PREFIX})
  --keep         Leave it running to try by hand; Ctrl-C then cleans up
  -h, --help     Show this help
`;

/**
 * `firezone demo`: a self-contained run of the client and gateway; 0 when every check passed,
 * 128 + the signal's number when one interrupted it.
 */
export async function demo(args: readonly string[], io: CliOutput): Promise<number> {
  let values: { prefix?: string; keep?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        prefix: { type: "string", default: DEFAULT_PREFIX },
        keep: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`firezone demo: ${message}; run 'firezone demo --help' for the options\n`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const prefix = values.prefix ?? DEFAULT_PREFIX;
  if (!PREFIX_PATTERN.test(prefix)) {
    io.err(
      `firezone demo: --prefix '${prefix}': use up to 32 letters, digits, '-' or '_', starting with a letter or digit\n`,
    );
    return EXIT_USAGE;
  }

  const report = new DemoReport(io);
  io.out("firezone demo: a Firezone client and gateway in network namespaces\n");
  report.heading("Checking what the demo needs");
  const preflight = checkMachine(thisMachine);
  const missing = preflight.required.filter((requirement) => !requirement.met);
  for (const requirement of preflight.required) {
    report.check({ ok: requirement.met, line: requirement.what });
  }
  for (const optional of [preflight.dnsmasq, preflight.curl]) {
    if (optional.met) report.pass(optional.what);
    else report.note(`${optional.what} is not installed: ${optional.fix}`);
  }
  if (missing.length > 0) {
    io.err(
      `firezone demo: cannot run here:\n${missing.map((r) => `  ${r.what}: ${r.fix}\n`).join("")}`,
    );
    return 1;
  }
  const existing = existingNamespaces(prefix);
  if (existing.length > 0) {
    const deletes = existing.map((name) => `sudo ip netns delete ${name}`).join("; ");
    io.err(
      `firezone demo: ${existing.join(", ")} already ${existing.length > 1 ? "exist" : "exists"}, ` +
        `perhaps left by an earlier demo; choose another prefix (--prefix NAME) or delete it: ${deletes}\n`,
    );
    return 1;
  }

  const interruptedBy = await runDemo(
    {
      prefix,
      keep: values.keep === true,
      dnsmasq: preflight.dnsmasq.met,
      curl: preflight.curl.met,
    },
    report,
  );
  report.summary(interruptedBy);
  if (interruptedBy !== undefined) return EXIT_STATUS[interruptedBy];
  return report.failed === 0 ? 0 : 1;
}
