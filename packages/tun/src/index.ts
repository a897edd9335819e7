export { type Cidr, parseCidr } from "./cidr.ts";
export { TunConfigError, TunOpenError, TunPermissionError, TunUnavailableError } from "./errors.ts";
export { type TunIoStats, TunPacketIo, type TunPacketIoOptions } from "./packet-io.ts";
export {
  DEFAULT_TUN_MTU,
  DEFAULT_TUN_NAME,
  TUN_DEVICE_PATH,
  TunDevice,
  type TunOptions,
} from "./tun-device.ts";
