import { RecordType } from "./constants.ts";
import type { RecordTypeName, RecordTypeValue } from "./message.ts";

/** The wire code of a record type given by name or code. */
export function recordTypeCode(type: RecordTypeValue): number {
  // A switch: indexing RecordType by a string variable is a slow generic lookup in JSC.
  switch (type) {
    case "A":
      return RecordType.A;
    case "AAAA":
      return RecordType.AAAA;
    case "CNAME":
      return RecordType.CNAME;
    case "PTR":
      return RecordType.PTR;
    case "NS":
      return RecordType.NS;
    case "SOA":
      return RecordType.SOA;
    case "MX":
      return RecordType.MX;
    case "TXT":
      return RecordType.TXT;
    case "SRV":
      return RecordType.SRV;
    case "SVCB":
      return RecordType.SVCB;
    case "HTTPS":
      return RecordType.HTTPS;
    default:
      return type;
  }
}

/** The name of a record type this package decodes into a typed form, else the code itself. */
export function recordTypeValue(code: number): RecordTypeValue {
  return NAME_BY_CODE[code] ?? code;
}

const NAME_BY_CODE: Partial<Record<number, RecordTypeName>> = {
  [RecordType.A]: "A",
  [RecordType.NS]: "NS",
  [RecordType.CNAME]: "CNAME",
  [RecordType.SOA]: "SOA",
  [RecordType.PTR]: "PTR",
  [RecordType.MX]: "MX",
  [RecordType.TXT]: "TXT",
  [RecordType.AAAA]: "AAAA",
  [RecordType.SRV]: "SRV",
  [RecordType.SVCB]: "SVCB",
  [RecordType.HTTPS]: "HTTPS",
};
