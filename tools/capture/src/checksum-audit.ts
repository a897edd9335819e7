/**
 * Checks tshark's verdict on every checksum in the captured packets. Bad checksums mean an
 * offload was still on; an unverified one is allowed only where tshark cannot see the whole
 * datagram (the ICMP checksum of a first fragment when decoding packets one by one).
 */
import { CHECKSUM_STATUS, CHECKSUM_STATUS_FIELDS, type TsharkFrame } from "./tshark.ts";

export interface ChecksumVerdict {
  readonly scenario: string;
  readonly frameNumber: number;
  readonly field: string;
  readonly status: string;
}

export interface ChecksumAudit {
  readonly good: number;
  readonly bad: readonly ChecksumVerdict[];
  readonly unverified: readonly ChecksumVerdict[];
}

/** Tallies the checksum status fields of the given frames (only those in `frameNumbers`). */
export function auditChecksums(
  scenario: string,
  frames: readonly TsharkFrame[],
  frameNumbers: ReadonlySet<number>,
): ChecksumAudit {
  let good = 0;
  const bad: ChecksumVerdict[] = [];
  const unverified: ChecksumVerdict[] = [];
  for (const { frameNumber, fields } of frames) {
    if (!frameNumbers.has(frameNumber)) continue;
    for (const field of CHECKSUM_STATUS_FIELDS) {
      for (const status of fields[field] ?? []) {
        const verdict = { scenario, frameNumber, field, status };
        if (status === CHECKSUM_STATUS.good) good += 1;
        else if (status === CHECKSUM_STATUS.unverified) unverified.push(verdict);
        else bad.push(verdict);
      }
    }
  }
  return { good, bad, unverified };
}

/** Adds audits together. */
export function mergeAudits(audits: readonly ChecksumAudit[]): ChecksumAudit {
  return {
    good: audits.reduce((sum, audit) => sum + audit.good, 0),
    bad: audits.flatMap((audit) => audit.bad),
    unverified: audits.flatMap((audit) => audit.unverified),
  };
}
