export { type RunOptions, runClient } from "./run-client.ts";
