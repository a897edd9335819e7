/** Bytes that are not a classic libpcap file, or a record that runs past the end of the file. */
export class PcapFormatError extends Error {
  readonly _tag = "PcapFormatError";

  constructor(message: string) {
    super(message);
    this.name = "PcapFormatError";
  }
}

/** A pcap link type this tool cannot strip to the IP header. */
export class UnsupportedLinkTypeError extends Error {
  readonly _tag = "UnsupportedLinkTypeError";
  readonly linkType: number;

  constructor(linkType: number) {
    super(
      `pcap link type ${linkType} is not supported: capture on an Ethernet interface (EN10MB, 1) or with -i any (LINUX_SLL 113, LINUX_SLL2 276)`,
    );
    this.name = "UnsupportedLinkTypeError";
    this.linkType = linkType;
  }
}

/** A command that exited unsuccessfully; the message carries its argv and stderr. */
export class CommandFailedError extends Error {
  readonly _tag = "CommandFailedError";
  readonly argv: readonly string[];
  readonly exitCode: number | null;

  constructor(argv: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    super(
      `command failed (exit ${exitCode}): ${argv.join(" ")}${stderr ? `\n${stderr.trimEnd()}` : ""}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "CommandFailedError";
    this.argv = argv;
    this.exitCode = exitCode;
  }
}

/** tshark output that does not match the fields it was asked for. */
export class TsharkOutputError extends Error {
  readonly _tag = "TsharkOutputError";

  constructor(message: string) {
    super(message);
    this.name = "TsharkOutputError";
  }
}

/** A capture whose contents break an expectation of the fixture format (the message says which). */
export class CaptureContentError extends Error {
  readonly _tag = "CaptureContentError";

  constructor(message: string) {
    super(message);
    this.name = "CaptureContentError";
  }
}

/** An interface offload that stayed on, so captured checksums would not be the final ones. */
export class OffloadStillOnError extends Error {
  readonly _tag = "OffloadStillOnError";

  constructor(namespace: string, device: string, feature: string, line: string | undefined) {
    super(
      `${device} in ${namespace} still has ${feature} on (${line ?? "not listed by ethtool -k"}); captured checksums would be wrong`,
    );
    this.name = "OffloadStillOnError";
  }
}

/** tcpdump reported packets the kernel dropped, so the capture is incomplete. */
export class PacketsDroppedError extends Error {
  readonly _tag = "PacketsDroppedError";

  constructor(scenario: string, dropped: string) {
    super(`${scenario}: tcpdump reports ${dropped} packets dropped by the kernel; run it again`);
    this.name = "PacketsDroppedError";
  }
}

/** Something the capture needs before it starts: root, a command, a tshark field. */
export class PrerequisiteError extends Error {
  readonly _tag = "PrerequisiteError";

  constructor(message: string) {
    super(message);
    this.name = "PrerequisiteError";
  }
}
