export { enableForwarding, ForwardingError, NFT_TABLE } from "./forwarding.ts";
export { nodeNameResolver } from "./name-resolver.ts";
export { type RunOptions, runGateway } from "./run-gateway.ts";
