import { readBoolean } from "./dns-fields.ts";
import type { FieldReader } from "./fields.ts";

export const AEAD_SETTINGS = ["auto", "noble", "native", "openssl", "libsodium"] as const;
export type AeadSetting = (typeof AEAD_SETTINGS)[number];

/** Settings for the I/O shell rather than the state machine. */
export interface ShellSettings {
  /** TUN interface name; default `tun-firezone`. */
  readonly tunName: string;
  /** Where JSON-lines logs go; none when unset. */
  readonly logDir: string | undefined;
  /** Which AEAD backend to use; default `auto` (native when it loads). */
  readonly aead: AeadSetting;
  /** Where the status socket goes (`<dir>/<tun_name>.sock`, read by `wg show`). */
  readonly socketDir: string;
  /** Ask the TUN device for TCP segmentation and checksum offloads; default true. */
  readonly tunOffload: boolean;
}

/** The TUN interface's name when the config does not set `tun_name`. */
export const DEFAULT_TUN_NAME = "tun-firezone";

/** Where userspace WireGuard puts its sockets, and where `wg` looks for them. */
export const DEFAULT_SOCKET_DIR = "/var/run/wireguard";

export function readShellSettings(read: FieldReader, top: Record<string, unknown>): ShellSettings {
  const tunName =
    read.optionalString(top, "tun_name", "tun_name", DEFAULT_TUN_NAME) ?? DEFAULT_TUN_NAME;
  if (new TextEncoder().encode(tunName).length > 15) {
    read.problem(
      "tun_name",
      `'${tunName}' is longer than 15 bytes`,
      "use a shorter interface name",
    );
  }
  const logDir = read.optionalString(top, "log_dir", "log_dir", "/var/log/firezone");
  const aeadText = read.optionalString(top, "aead", "aead", "auto") ?? "auto";
  const aead = AEAD_SETTINGS.find((setting) => setting === aeadText);
  if (aead === undefined) {
    read.problem(
      "aead",
      `'${aeadText}' is not a backend`,
      `use one of ${AEAD_SETTINGS.join(", ")}`,
    );
  }
  const socketDir =
    read.optionalString(top, "socket_dir", "socket_dir", DEFAULT_SOCKET_DIR) ?? DEFAULT_SOCKET_DIR;
  const tunOffload = readBoolean(read, top, "tun_offload", "tun_offload", true);
  return { tunName, logDir, aead: aead ?? "auto", socketDir, tunOffload };
}
