#!/usr/bin/env bun
import { runCli } from "./cli.ts";
import { reexecWith, tunnelEnvironment } from "./jsc-tiers.ts";

const args = process.argv.slice(2);
const env = tunnelEnvironment(args, process.env);
if (env !== undefined) reexecWith(process.execPath, process.argv, env);

process.exitCode = await runCli(args, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: () => Bun.stdin.text(),
});
