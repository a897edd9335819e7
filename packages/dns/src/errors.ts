/** A part of a message, named in errors to say where decoding stopped. */
export type Section = "header" | "question" | "answer" | "authority" | "additional";

/**
 * Why a message could not be decoded. Every kind is a malformed message (a server answers
 * FORMERR); `offset` is where in the message the problem was found.
 */
export type DecodeError =
  /** The data ends inside the header, a name, a question or a record's fixed fields. */
  | { readonly kind: "truncated"; readonly section: Section; readonly offset: number }
  /** The data ends cleanly after `found` entries of a section whose count says `declared`. */
  | {
      readonly kind: "count-exceeds-data";
      readonly section: Section;
      readonly declared: number;
      readonly found: number;
    }
  /** A record's rdata length reaches past the end of the message. */
  | {
      readonly kind: "rdata-overrun";
      readonly section: Section;
      readonly offset: number;
      readonly rdlength: number;
      readonly available: number;
    }
  /** A compression pointer to itself or to a later byte. */
  | { readonly kind: "forward-pointer"; readonly offset: number; readonly target: number }
  /** A compression pointer back into the part of the name already read: following it would loop. */
  | { readonly kind: "pointer-loop"; readonly offset: number; readonly target: number }
  /** A label length byte of 64 to 191: longer than 63 and not a pointer (RFC 6891 label types). */
  | { readonly kind: "label-too-long"; readonly offset: number; readonly length: number }
  /** A name longer than 255 bytes on the wire (which also bounds it to 127 labels). */
  | { readonly kind: "name-too-long"; readonly offset: number }
  /** The rdata of a known type does not have that type's shape. */
  | {
      readonly kind: "bad-rdata";
      readonly section: Section;
      readonly offset: number;
      readonly type: number;
      readonly reason: BadRdataReason;
    }
  /** An OPT pseudo-record where RFC 6891 6.1.1 forbids it. */
  | { readonly kind: "bad-opt"; readonly offset: number; readonly reason: BadOptReason }
  /** Bytes left over after the last record the header counts. */
  | { readonly kind: "trailing-bytes"; readonly offset: number; readonly extra: number };

/** How a known type's rdata was wrong. */
export type BadRdataReason =
  /** A fixed-size rdata (A, AAAA) of another size, or too short for the fixed fields. */
  | "length"
  /** A name inside the rdata runs past the rdata's end. */
  | "name-overrun"
  /** The fields end before the rdata does. */
  | "trailing"
  /** A TXT string or EDNS option runs past the rdata's end. */
  | "item-overrun";

/** Where an OPT record may not be. */
export type BadOptReason =
  /** In the answer or authority section. */
  | "outside-additional"
  /** A second OPT in one message. */
  | "duplicate"
  /** An owner name other than the root. */
  | "owner-not-root";

/** Why a message could not be encoded; nothing is thrown. */
export type EncodeError =
  /** A name that is not a valid presentation-form name; `reason` says what is wrong. */
  | { readonly kind: "invalid-name"; readonly name: string; readonly reason: InvalidNameReason }
  /** A numeric field out of its wire range, or bytes of the wrong size (`field` names which). */
  | { readonly kind: "invalid-field"; readonly field: string; readonly value: unknown }
  /** An rcode above 15 in a message without `edns` to carry its upper bits. */
  | { readonly kind: "rcode-needs-edns"; readonly rcode: number }
  /** A raw record of type OPT: EDNS goes in the message's `edns`. */
  | { readonly kind: "opt-as-record" }
  /** More than 65535 entries in a section. */
  | { readonly kind: "too-many-records"; readonly section: Section; readonly count: number }
  /** The message does not fit the buffer it is written into. */
  | { readonly kind: "buffer-too-small"; readonly capacity: number }
  /** A message longer than 65535 bytes, the DNS maximum. */
  | { readonly kind: "message-too-long"; readonly limit: number };

/** What is wrong with a name given to the encoder. */
export type InvalidNameReason =
  | "empty-label"
  | "label-too-long"
  | "name-too-long"
  | "bad-escape"
  | "bad-character";
