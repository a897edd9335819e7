import { type IpNetwork, parseIpNetwork } from "../ip-network.ts";

function must(text: string): IpNetwork {
  const network = parseIpNetwork(text);
  if (network === undefined) throw new Error(`bad built-in range ${text}`);
  return network;
}

/** Where client tunnel addresses come from (Firezone's ranges). */
export const TUNNEL_V4_RANGE_TEXT = "100.64.0.0/11";
export const TUNNEL_V6_RANGE_TEXT = "fd00:2021:1111::/107";
export const TUNNEL_V4_RANGE = must(TUNNEL_V4_RANGE_TEXT);
export const TUNNEL_V6_RANGE = must(TUNNEL_V6_RANGE_TEXT);
