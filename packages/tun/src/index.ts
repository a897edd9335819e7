// The address formatters the socket address records use, for packages that read records
// themselves without depending on @fz/ip-packet.
export { formatIpv4Bytes, formatIpv6 } from "@fz/ip-packet";
export { type Cidr, parseCidr } from "./cidr.ts";
export { DatagramReceiver, NOTHING_RECEIVED } from "./datagram-receiver.ts";
export { DatagramSender } from "./datagram-sender.ts";
export { TunConfigError, TunOpenError, TunPermissionError, TunUnavailableError } from "./errors.ts";
export {
  HeaderedWriter,
  lastErrorName,
  READ_FAILED,
  readPacket,
  WOULD_BLOCK,
  writePacket,
} from "./fd-io.ts";
export { type TunIoStats, TunPacketIo, type TunPacketIoOptions } from "./packet-io.ts";
export { PollError, Poller } from "./poller.ts";
export {
  readSlotAddress,
  SLOT_DATA_MIN_OFFSET,
  slotAddressEquals,
  writeSlotAddress,
} from "./slot-address.ts";
export {
  decodeSocketAddress,
  encodeSocketAddress,
  SOCKET_ADDRESS_BYTES,
  type SocketAddress,
  sameSocketAddress,
  unmapIpv4Record,
} from "./socket-address.ts";
export {
  DEFAULT_TUN_MTU,
  DEFAULT_TUN_NAME,
  TUN_DEVICE_PATH,
  TunDevice,
  type TunOptions,
} from "./tun-device.ts";
export { UdpPacketIoError, UdpSocketError } from "./udp-errors.ts";
export {
  DEFAULT_UDP_BATCH_SIZE,
  type UdpIoStats,
  UdpPacketIo,
  type UdpPacketIoOptions,
} from "./udp-packet-io.ts";
export {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  DUAL_STACK_ADDRESS,
  type SocketBufferSizes,
  setSocketBufferSizes,
  UdpSocket,
  type UdpSocketOptions,
} from "./udp-socket.ts";
export { WakePipe } from "./wake-pipe.ts";
