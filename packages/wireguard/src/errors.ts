/** A configuration value the device or a peer cannot work with; the message names it and the fix. */
export class InvalidConfigError extends Error {
  readonly _tag = "InvalidConfigError";
  readonly field: string;

  constructor(field: string, fix: string, cause?: unknown) {
    super(`invalid ${field}: ${fix}`, cause === undefined ? undefined : { cause });
    this.name = "InvalidConfigError";
    this.field = field;
  }
}

/** A peer with this public key is already on the device. */
export class DuplicatePeerError extends Error {
  readonly _tag = "DuplicatePeerError";

  constructor() {
    super("a peer with this public key already exists: remove it first, or keep the existing one");
    this.name = "DuplicatePeerError";
  }
}
