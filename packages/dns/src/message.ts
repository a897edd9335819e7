/**
 * The parsed form of a DNS message. Names are strings in presentation form without the final dot
 * ("www.example.com"; the root is "."): bytes outside 0x21-0x7e are written `\DDD` (three decimal
 * digits) and a dot or backslash inside a label is written `\.` or `\\`, so every string names
 * exactly one wire name. Byte fields decoded from a message (AAAA addresses, TXT strings, raw
 * rdata, EDNS option data) are views of the decoded buffer, not copies.
 */

/** Names of the record types decoded into a typed form; other types stay numbers. */
export type RecordTypeName =
  | "A"
  | "NS"
  | "CNAME"
  | "SOA"
  | "PTR"
  | "MX"
  | "TXT"
  | "AAAA"
  | "SRV"
  | "SVCB"
  | "HTTPS";

/** A record type: a name for the types above (decoding always gives the name), else the wire code. */
export type RecordTypeValue = RecordTypeName | number;

/** One DNS message: the header's fields, the four sections, and the EDNS pseudo-record. */
export interface DnsMessage {
  readonly id: number;
  /** QR: true for a response. */
  readonly isResponse: boolean;
  readonly opcode: number;
  /** AA. */
  readonly authoritative: boolean;
  /** TC. */
  readonly truncated: boolean;
  /** RD. */
  readonly recursionDesired: boolean;
  /** RA. */
  readonly recursionAvailable: boolean;
  /** The reserved Z bit, kept so that a decoded message encodes to the same header. */
  readonly z: boolean;
  /** AD (RFC 4035). */
  readonly authenticData: boolean;
  /** CD (RFC 4035). */
  readonly checkingDisabled: boolean;
  /**
   * The full response code: the header's 4 bits plus, when there is an OPT record, its 8
   * extended-rcode bits above them (RFC 6891 6.1.3). Above 15 it needs `edns` to be encoded.
   */
  readonly rcode: number;
  readonly questions: readonly Question[];
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  /** The additional section without the OPT pseudo-record, which is `edns`. */
  readonly additionals: readonly ResourceRecord[];
  /** The OPT pseudo-record of the additional section, if the message has one. */
  readonly edns: Edns | undefined;
}

/** A question: the name, type and class being asked for. */
export interface Question {
  readonly name: string;
  readonly type: RecordTypeValue;
  readonly class: number;
}

/** EDNS(0) parameters carried by the OPT pseudo-record (RFC 6891). */
export interface Edns {
  /** The largest UDP payload the sender can reassemble (the OPT record's class field). */
  readonly udpPayloadSize: number;
  readonly version: number;
  /** DO: the sender wants DNSSEC records (RFC 3225). */
  readonly dnssecOk: boolean;
  /** The 15 flag bits after DO, reserved; kept so that a decoded OPT encodes unchanged. */
  readonly reservedFlags: number;
  /** Options in wire order, uninterpreted. */
  readonly options: readonly EdnsOption[];
}

/** One EDNS option, kept raw. */
export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** Any resource record; `type` tells which. */
export type ResourceRecord =
  | ARecord
  | AaaaRecord
  | NameRecord
  | MxRecord
  | SoaRecord
  | SrvRecord
  | TxtRecord
  | SvcbRecord
  | RawRecord;

/** The owner name, class and TTL every record has. */
export interface RecordCommon {
  readonly name: string;
  readonly class: number;
  /** Seconds, as the unsigned 32-bit wire value. */
  readonly ttl: number;
}

/** An IPv4 address record. */
export interface ARecord extends RecordCommon {
  readonly type: "A";
  /** The address as an unsigned 32-bit number (1.2.3.4 is 0x01020304). */
  readonly address: number;
}

/** An IPv6 address record. */
export interface AaaaRecord extends RecordCommon {
  readonly type: "AAAA";
  /** The 16 address bytes. */
  readonly address: Uint8Array;
}

/** A record whose data is one name: CNAME, NS or PTR. */
export interface NameRecord extends RecordCommon {
  readonly type: "CNAME" | "NS" | "PTR";
  readonly target: string;
}

/** A mail exchange record (RFC 1035 3.3.9). */
export interface MxRecord extends RecordCommon {
  readonly type: "MX";
  readonly preference: number;
  readonly exchange: string;
}

/** A start-of-authority record (RFC 1035 3.3.13), as found in negative answers. */
export interface SoaRecord extends RecordCommon {
  readonly type: "SOA";
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** A service location record (RFC 2782). */
export interface SrvRecord extends RecordCommon {
  readonly type: "SRV";
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** A text record: one or more character strings of up to 255 bytes each. */
export interface TxtRecord extends RecordCommon {
  readonly type: "TXT";
  readonly strings: readonly Uint8Array[];
}

/** A service binding record, SVCB or HTTPS (RFC 9460); the parameters stay raw. */
export interface SvcbRecord extends RecordCommon {
  readonly type: "SVCB" | "HTTPS";
  /** 0 for alias mode. */
  readonly priority: number;
  readonly target: string;
  /** The SvcParams in wire form (key, length, value, ...), uninterpreted. */
  readonly params: Uint8Array;
}

/**
 * A record of a type without a typed form, with its rdata as is (never decompressed). Encoding
 * also accepts a known type's code here and writes the rdata unchanged; decoding never gives one.
 */
export interface RawRecord extends RecordCommon {
  readonly type: number;
  readonly rdata: Uint8Array;
}
