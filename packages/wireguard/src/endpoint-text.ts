import type { Endpoint } from "./device.ts";

/** `198.18.1.1:51820` or `[fd00::1]:51820`: how WireGuard's tools and configs write an endpoint. */
export function formatHostPort(endpoint: Endpoint): string {
  return endpoint.address.includes(":")
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}
