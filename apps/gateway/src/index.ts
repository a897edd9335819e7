export { enableForwarding, ForwardingError, NFT_TABLE } from "./forwarding.ts";
export { type RunOptions, runGateway } from "./run-gateway.ts";
