export { type RunOptions, runClient } from "./run-client.ts";
export {
  pointSystemResolverAt,
  readNameservers,
  resolvConfListing,
  SYSTEM_RESOLV_CONF,
  type SystemResolverOverride,
} from "./system-resolver.ts";
