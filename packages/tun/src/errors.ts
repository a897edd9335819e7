/** /dev/net/tun is missing: no TUN driver, or a container without the device. */
export class TunUnavailableError extends Error {
  readonly _tag = "TunUnavailableError";
  constructor(path: string, cause?: unknown) {
    super(
      `${path} does not exist: load the tun module (modprobe tun) or, in a container, pass the device through (--device /dev/net/tun)`,
      { cause },
    );
    this.name = "TunUnavailableError";
  }
}

/** The process may not create TUN devices or change interfaces. */
export class TunPermissionError extends Error {
  readonly _tag = "TunPermissionError";
  constructor(what: string, cause?: unknown) {
    super(
      `${what}: permission denied; run as root or grant CAP_NET_ADMIN (setcap cap_net_admin+ep)`,
      {
        cause,
      },
    );
    this.name = "TunPermissionError";
  }
}

/** The kernel refused to create or attach the device for another reason, named in the message. */
export class TunOpenError extends Error {
  readonly _tag = "TunOpenError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "TunOpenError";
  }
}

/** Setting the MTU, an address or a route on the device failed; the message has the command. */
export class TunConfigError extends Error {
  readonly _tag = "TunConfigError";
  constructor(command: readonly string[], output: string) {
    super(`'${command.join(" ")}' failed: ${output.trim() || "no output"}`);
    this.name = "TunConfigError";
  }
}
