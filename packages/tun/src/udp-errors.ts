/** Opening, configuring or binding the UDP socket failed; the message names the step and errno. */
export class UdpSocketError extends Error {
  readonly _tag = "UdpSocketError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "UdpSocketError";
  }
}

/** The pool or channels handed to `UdpPacketIo` cannot carry datagrams as it lays them out. */
export class UdpPacketIoError extends Error {
  readonly _tag = "UdpPacketIoError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "UdpPacketIoError";
  }
}
