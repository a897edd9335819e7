export { type CliOutput, type Command, EXIT_USAGE, runCli, VERSION } from "./cli.ts";
