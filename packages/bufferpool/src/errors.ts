/** A slot was given back that is not currently taken: a double give-back, or one never taken. */
export class SlotNotTakenError extends Error {
  readonly _tag = "SlotNotTakenError";
  readonly slot: number;

  constructor(slot: number) {
    super(
      `slot ${slot} was given back but is not taken: it was given back twice, or never taken from this pool`,
    );
    this.name = "SlotNotTakenError";
    this.slot = slot;
  }
}

/** A slot index that does not name a slot of this pool. */
export class InvalidSlotError extends Error {
  readonly _tag = "InvalidSlotError";
  readonly slot: number;

  constructor(slot: number, slotCount: number) {
    super(`slot ${slot} does not exist: this pool has slots 0 to ${slotCount - 1}`);
    this.name = "InvalidSlotError";
    this.slot = slot;
  }
}

/** Options that cannot describe a pool or channel; the message names the field and the fix. */
export class InvalidOptionsError extends Error {
  readonly _tag = "InvalidOptionsError";
  readonly field: string;

  constructor(field: string, fix: string, cause?: unknown) {
    super(`invalid ${field}: ${fix}`, cause === undefined ? undefined : { cause });
    this.name = "InvalidOptionsError";
    this.field = field;
  }
}

/** A SharedArrayBuffer handed to `attach` that was not made by the matching `create`. */
export class IncompatibleBufferError extends Error {
  readonly _tag = "IncompatibleBufferError";

  constructor(expected: string) {
    super(
      `this SharedArrayBuffer is not a ${expected}: pass the \`buffer\` of one made by create()`,
    );
    this.name = "IncompatibleBufferError";
  }
}
