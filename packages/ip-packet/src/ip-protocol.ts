/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers") this package reads or names. */
export const IpProtocol = {
  HopByHop: 0,
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Ipv6Routing: 43,
  Ipv6Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  Ipv6NoNext: 59,
  Ipv6DestinationOptions: 60,
  UdpLite: 136,
  Dccp: 33,
  /** Reserved; Firezone's p2p control packets use it as their IPv6 next header. */
  Reserved: 0xff,
} as const;

/** The largest IP packet Firezone's tunnel carries: the TUN MTU and the IPv6 minimum MTU. */
export const MAX_IP_SIZE = 1280;
