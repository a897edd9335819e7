import { readU16, readU32, writeU16 } from "./bytes.ts";
import {
  checksumSkippingField,
  checksumVerifies,
  foldChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
} from "./checksum.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { IPV4_FIELD, IPV4_HEADER_LEN } from "./ipv4.ts";
import { IPV6_FIELD, IPV6_HEADER_LEN, isIpv6ExtensionHeader } from "./ipv6.ts";
import { TCP_FIELD, TCP_HEADER_LEN, TcpFlag } from "./tcp.ts";
import {
  GSO_TCPV4,
  GSO_TCPV6,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "./virtio-net-header.ts";

/** Runs open at once, each one flow's, found by a linear scan of the 4-tuple. */
export const TCP_COALESCER_MAX_RUNS = 8;

/** The largest IP packet: the 16-bit IPv4 total length, and what a TUN write takes. */
const MAX_MERGED_LENGTH = 0xffff;

/**
 * Receives each write of `TcpCoalescer.flush`: `bytes[0, length)` is to be written to the TUN
 * device. A packet written as itself (`merged` false) is the very view given to `add`, `length`
 * its whole length: write it after a zero virtio_net_hdr. A merged write (`merged` true) is the
 * coalescer's `buffer` itself, the one given to its constructor (no view is made per write), and
 * `length` the bytes of it in use, from its start: virtio_net_hdr then the super-packet, to be
 * written as they are.
 */
export type TcpCoalescerEmit = (bytes: Uint8Array, merged: boolean, length: number) => void;

/** `#classify`: no TCP flow's packet (not TCP, noise): it goes out where it stands. */
const NO_FLOW = 0;
/**
 * `#classify`: may carry TCP, but no 4-tuple to read (IPv4 fragments, IPv6 extension headers, a
 * truncated TCP header): runs between the same addresses go out first.
 */
const UNKNOWN_FLOW = 1;
/**
 * `#classify`: a TCP packet of a known flow that may not be merged (flags, options, no data, a
 * checksum that fails).
 */
const ALONE = 2;
/** `#classify`: a TCP segment that may join its flow's run or start one. */
const SEGMENT = 3;

/**
 * Userspace GRO for writes to a TUN device opened with IFF_VNET_HDR, as Linux's tcp_gro_receive
 * and wireguard-go's tcpGRO do: a batch of plaintext IP packets goes in with `add`, and `flush`
 * writes each run of consecutive segments of one TCP flow as one super-packet that the kernel
 * takes as if a virtio NIC had coalesced it (gso_type TCPV4/TCPV6, NEEDS_CSUM), and every other
 * packet as itself.
 *
 * A segment joins its flow's open run when it continues it exactly, so that the kernel's own
 * segmentation of the super-packet would give the segments back: IPv4 without options, not a
 * fragment, the same TOS, TTL and DF (and, without DF, the next IP id), or IPv6 without
 * extension headers with the same traffic class, flow label and hop limit; the same 4-tuple,
 * the next sequence number, the same ack, window, urgent pointer and option bytes; flags ACK or
 * ACK|PSH only; a payload no bigger than the first segment's; an IPv4 header checksum and a TCP
 * checksum that verify. PSH or a shorter payload ends the run. Checksums are checked because
 * the kernel trusts a NEEDS_CSUM super-packet's data and computes a fresh checksum over it: a
 * corrupt segment written alone is dropped by the kernel, merged it would be delivered.
 *
 * A packet of a flow that cannot join closes that flow's run first, so each flow's packets come
 * out in the order they went in; a packet that may carry TCP but shows no 4-tuple (a fragment,
 * IPv6 extension headers) closes every run between its addresses first; packets of no TCP flow
 * go out where they stand. Up to `TCP_COALESCER_MAX_RUNS` flows are open at once; a new one
 * closes the one idle longest.
 *
 * `add` and `flush` throw nothing of their own (`flush` passes on what `emit` throws), and
 * allocate nothing per packet.
 */
export class TcpCoalescer {
  readonly #buffer: Uint8Array;
  readonly #maxLength: number;
  readonly #packets: Uint8Array[];
  /** Per packet index: the next packet of its run, -1 after the last. */
  readonly #nextInRun: Int32Array;
  #count = 0;
  #flushing = false;

  // The open runs, one slot each; a first index of -1 marks a free slot.
  readonly #runFirst = new Int32Array(TCP_COALESCER_MAX_RUNS).fill(-1);
  readonly #runLast = new Int32Array(TCP_COALESCER_MAX_RUNS);
  readonly #runSegments = new Int32Array(TCP_COALESCER_MAX_RUNS);
  /** IP bytes of the merged packet so far. */
  readonly #runLength = new Int32Array(TCP_COALESCER_MAX_RUNS);
  readonly #runGsoSize = new Int32Array(TCP_COALESCER_MAX_RUNS);
  readonly #runNextSeq = new Uint32Array(TCP_COALESCER_MAX_RUNS);
  /** Source and destination ports as one 32-bit word. */
  readonly #runPorts = new Uint32Array(TCP_COALESCER_MAX_RUNS);
  /** Index of the packet that last joined: the run idle longest has the lowest. */
  readonly #runTouched = new Int32Array(TCP_COALESCER_MAX_RUNS);
  #openRuns = 0;

  // What `#classify` read of the packet at hand.
  #ipHeaderLen = 0;
  #headerLen = 0;
  #ports = 0;
  #seq = 0;
  #flags = 0;

  /** The merged write's virtio_net_hdr, filled and written per run. */
  readonly #vnetHeader = new VnetHeader();

  #packetsIn = 0;
  #writesOut = 0;
  #packetsMerged = 0;

  /**
   * `buffer` receives each merged write (virtio_net_hdr then the super-packet, from its start):
   * VNET_HDR_BYTES + 65535 bytes take the largest; a shorter one caps the super-packets. It
   * must not overlap any added packet. `maxPackets`: how many `add` takes before a `flush`.
   */
  constructor(buffer: Uint8Array, maxPackets = 64) {
    if (!(Number.isInteger(maxPackets) && maxPackets >= 1)) {
      throw new RangeError(`maxPackets must be a positive integer, not ${maxPackets}`);
    }
    this.#buffer = buffer;
    this.#maxLength = Math.min(MAX_MERGED_LENGTH, buffer.length - VNET_HDR_BYTES);
    this.#packets = new Array<Uint8Array>(maxPackets).fill(EMPTY);
    this.#nextInRun = new Int32Array(maxPackets);
  }

  /** Packets given to `add` so far. */
  get packetsIn(): number {
    return this.#packetsIn;
  }

  /** Calls of `emit` so far: one per TUN write. */
  get writesOut(): number {
    return this.#writesOut;
  }

  /** Packets written inside super-packets so far. */
  get packetsMerged(): number {
    return this.#packetsMerged;
  }

  /** Packets held for the next `flush`. */
  get pending(): number {
    return this.#count;
  }

  /**
   * Holds one packet of the batch: a view whose bytes must stay put until `flush` returns.
   * False, nothing held, when `maxPackets` are held already (flush first) or during `flush`.
   */
  add(packet: Uint8Array): boolean {
    if (this.#count === this.#packets.length || this.#flushing) return false;
    this.#packets[this.#count++] = packet;
    this.#packetsIn++;
    return true;
  }

  /**
   * Emits every held packet, each exactly once, each flow's in the order added: a packet that
   * joined no other as itself, a run of two or more segments as `buffer`'s virtio_net_hdr and
   * super-packet (see `TcpCoalescerEmit`). `emit` runs synchronously; `buffer` is rewritten once
   * it returns. Afterwards nothing is held, also when `emit` throws (then the rest of the batch
   * is dropped).
   */
  flush(emit: TcpCoalescerEmit): void {
    const packets = this.#packets;
    const count = this.#count;
    this.#flushing = true;
    try {
      for (let i = 0; i < count; i++) {
        const packet = packets[i] ?? EMPTY;
        const kind = this.#classify(packet);
        if (kind === NO_FLOW) {
          this.#emitAlone(packet, emit);
          continue;
        }
        if (kind === UNKNOWN_FLOW) {
          this.#closeRunsBetween(packet, emit);
          this.#emitAlone(packet, emit);
          continue;
        }
        let run = this.#findRun(packet);
        if (kind === ALONE) {
          if (run >= 0) this.#closeRun(run, emit);
          this.#emitAlone(packet, emit);
          continue;
        }
        let ended: boolean;
        if (run >= 0 && this.#joins(run, packet)) {
          ended = this.#append(run, i, packet);
        } else {
          if (run >= 0) this.#closeRun(run, emit);
          else run = this.#freeRun(emit);
          ended = this.#open(run, i, packet);
        }
        if (ended) this.#closeRun(run, emit);
      }
      // What is still open goes out in the order the runs began.
      while (this.#openRuns > 0) this.#closeRun(this.#oldestRun(), emit);
    } finally {
      packets.fill(EMPTY, 0, count);
      this.#runFirst.fill(-1);
      this.#openRuns = 0;
      this.#count = 0;
      this.#flushing = false;
    }
  }

  /**
   * Reads what coalescing needs of a packet into the fields above; NO_FLOW, UNKNOWN_FLOW, ALONE
   * or SEGMENT.
   */
  #classify(packet: Uint8Array): number {
    const length = packet.length;
    const first = packet[0] ?? 0;
    let ipHeaderLen: number;
    let mergeable: boolean;
    if (first >>> 4 === 4) {
      ipHeaderLen = (first & 0x0f) * 4;
      if (ipHeaderLen < IPV4_HEADER_LEN || length < IPV4_HEADER_LEN) return NO_FLOW;
      const protocol = packet[IPV4_FIELD.PROTOCOL] ?? 0;
      if (protocol !== IpProtocol.Tcp) return protocol === IpProtocol.Ah ? UNKNOWN_FLOW : NO_FLOW;
      const fragment = readU16(packet, IPV4_FIELD.FLAGS_FRAGMENT);
      if ((fragment & 0x3fff) !== 0 || length < ipHeaderLen + 4) return UNKNOWN_FLOW;
      mergeable =
        ipHeaderLen === IPV4_HEADER_LEN && readU16(packet, IPV4_FIELD.TOTAL_LEN) === length;
    } else if (first >>> 4 === 6) {
      ipHeaderLen = IPV6_HEADER_LEN;
      if (length < IPV6_HEADER_LEN) return NO_FLOW;
      const next = packet[IPV6_FIELD.NEXT_HEADER] ?? 0;
      if (next !== IpProtocol.Tcp) return isIpv6ExtensionHeader(next) ? UNKNOWN_FLOW : NO_FLOW;
      if (length < IPV6_HEADER_LEN + 4) return UNKNOWN_FLOW;
      mergeable = IPV6_HEADER_LEN + readU16(packet, IPV6_FIELD.PAYLOAD_LEN) === length;
    } else {
      return NO_FLOW;
    }
    this.#ipHeaderLen = ipHeaderLen;
    // The ports are enough to find the flow whose run must go out first.
    this.#ports = readU32(packet, ipHeaderLen + TCP_FIELD.SRC_PORT);
    if (!mergeable || length < ipHeaderLen + TCP_HEADER_LEN) return ALONE;
    // The data offset's byte also holds the reserved bits and AE (AccECN): all must be clear.
    const offsetByte = packet[ipHeaderLen + TCP_FIELD.DATA_OFFSET] ?? 0;
    const headerLen = ipHeaderLen + (offsetByte >>> 4) * 4;
    const flags = packet[ipHeaderLen + TCP_FIELD.FLAGS] ?? 0;
    if (
      offsetByte < 0x50 ||
      (offsetByte & 0x0f) !== 0 ||
      headerLen >= length ||
      (flags & ~TcpFlag.Psh) !== TcpFlag.Ack
    ) {
      return ALONE;
    }
    // One pass over the segment: the addresses lie just before the TCP header (IPv4 12..20,
    // IPv6 8..40), so summing from them covers the pseudo-header's addresses, and the protocol
    // and TCP length (below 64 KiB) are added to the sum.
    if (ipHeaderLen === IPV4_HEADER_LEN) {
      if (
        !checksumVerifies(packet, 0, IPV4_HEADER_LEN) ||
        !checksumVerifies(packet, IPV4_FIELD.SRC, length, IpProtocol.Tcp + length - ipHeaderLen)
      ) {
        return ALONE;
      }
    } else if (
      !checksumVerifies(packet, IPV6_FIELD.SRC, length, IpProtocol.Tcp + length - ipHeaderLen)
    ) {
      return ALONE;
    }
    this.#headerLen = headerLen;
    this.#seq = readU32(packet, ipHeaderLen + TCP_FIELD.SEQ);
    this.#flags = flags;
    return SEGMENT;
  }

  /** The open run of the classified packet's flow (version, addresses, ports), or -1. */
  #findRun(packet: Uint8Array): number {
    if (this.#openRuns === 0) return -1;
    for (let run = 0; run < TCP_COALESCER_MAX_RUNS; run++) {
      const first = this.#runFirst[run] ?? -1;
      if (first < 0 || this.#runPorts[run] !== this.#ports) continue;
      if (sameAddresses(this.#packets[first] ?? EMPTY, packet)) return run;
    }
    return -1;
  }

  /** Closes every open run between the packet's addresses (any ports). */
  #closeRunsBetween(packet: Uint8Array, emit: TcpCoalescerEmit): void {
    for (let run = 0; this.#openRuns > 0 && run < TCP_COALESCER_MAX_RUNS; run++) {
      const first = this.#runFirst[run] ?? -1;
      if (first >= 0 && sameAddresses(this.#packets[first] ?? EMPTY, packet)) {
        this.#closeRun(run, emit);
      }
    }
  }

  /** Whether the classified segment continues `run` exactly (its flow already matches). */
  #joins(run: number, packet: Uint8Array): boolean {
    const head = this.#packets[this.#runFirst[run] ?? 0] ?? EMPTY;
    const ipHeaderLen = this.#ipHeaderLen;
    const headerLen = this.#headerLen;
    if (ipHeaderLen === IPV4_HEADER_LEN) {
      if (
        head[IPV4_FIELD.DSCP_ECN] !== packet[IPV4_FIELD.DSCP_ECN] ||
        head[IPV4_FIELD.TTL] !== packet[IPV4_FIELD.TTL] ||
        head[IPV4_FIELD.FLAGS_FRAGMENT] !== packet[IPV4_FIELD.FLAGS_FRAGMENT]
      ) {
        return false;
      }
      // Without DF the id means something: only the one the kernel's segmentation would give.
      if (
        ((packet[IPV4_FIELD.FLAGS_FRAGMENT] ?? 0) & 0x40) === 0 &&
        readU16(packet, IPV4_FIELD.IDENT) !==
          ((readU16(head, IPV4_FIELD.IDENT) + (this.#runSegments[run] ?? 0)) & 0xffff)
      ) {
        return false;
      }
    } else if (
      readU32(head, 0) !== readU32(packet, 0) ||
      head[IPV6_FIELD.HOP_LIMIT] !== packet[IPV6_FIELD.HOP_LIMIT]
    ) {
      return false;
    }
    const payloadLen = packet.length - headerLen;
    return (
      this.#seq === this.#runNextSeq[run] &&
      payloadLen <= (this.#runGsoSize[run] ?? 0) &&
      (this.#runLength[run] ?? 0) + payloadLen <= this.#maxLength &&
      readU32(head, ipHeaderLen + TCP_FIELD.ACK) === readU32(packet, ipHeaderLen + TCP_FIELD.ACK) &&
      head[ipHeaderLen + TCP_FIELD.DATA_OFFSET] === packet[ipHeaderLen + TCP_FIELD.DATA_OFFSET] &&
      readU16(head, ipHeaderLen + TCP_FIELD.WINDOW) ===
        readU16(packet, ipHeaderLen + TCP_FIELD.WINDOW) &&
      readU16(head, ipHeaderLen + TCP_FIELD.URGENT) ===
        readU16(packet, ipHeaderLen + TCP_FIELD.URGENT) &&
      sameWords(head, packet, ipHeaderLen + TCP_HEADER_LEN, headerLen)
    );
  }

  /** Starts `run` with packet `index`; true if the run takes nothing more (PSH). */
  #open(run: number, index: number, packet: Uint8Array): boolean {
    this.#runFirst[run] = index;
    this.#runLast[run] = index;
    this.#nextInRun[index] = -1;
    this.#runSegments[run] = 1;
    this.#runLength[run] = packet.length;
    const payloadLen = packet.length - this.#headerLen;
    this.#runGsoSize[run] = payloadLen;
    this.#runNextSeq[run] = (this.#seq + payloadLen) >>> 0;
    this.#runPorts[run] = this.#ports;
    this.#runTouched[run] = index;
    this.#openRuns++;
    return (this.#flags & TcpFlag.Psh) !== 0;
  }

  /** Adds packet `index` to `run`; true if the run takes nothing more (PSH, a short payload). */
  #append(run: number, index: number, packet: Uint8Array): boolean {
    this.#nextInRun[this.#runLast[run] ?? 0] = index;
    this.#nextInRun[index] = -1;
    this.#runLast[run] = index;
    this.#runSegments[run] = (this.#runSegments[run] ?? 0) + 1;
    const payloadLen = packet.length - this.#headerLen;
    this.#runLength[run] = (this.#runLength[run] ?? 0) + payloadLen;
    this.#runNextSeq[run] = (this.#seq + payloadLen) >>> 0;
    this.#runTouched[run] = index;
    return (this.#flags & TcpFlag.Psh) !== 0 || payloadLen < (this.#runGsoSize[run] ?? 0);
  }

  /** A free run slot, closing the run idle longest when none is. */
  #freeRun(emit: TcpCoalescerEmit): number {
    let idlest = 0;
    for (let run = 0; run < TCP_COALESCER_MAX_RUNS; run++) {
      if ((this.#runFirst[run] ?? -1) < 0) return run;
      if ((this.#runTouched[run] ?? 0) < (this.#runTouched[idlest] ?? 0)) idlest = run;
    }
    this.#closeRun(idlest, emit);
    return idlest;
  }

  /** The open run that began first. */
  #oldestRun(): number {
    let oldest = -1;
    for (let run = 0; run < TCP_COALESCER_MAX_RUNS; run++) {
      const first = this.#runFirst[run] ?? -1;
      if (first >= 0 && (oldest < 0 || first < (this.#runFirst[oldest] ?? 0))) oldest = run;
    }
    return oldest;
  }

  /** Emits `run` (its one packet as itself, or the super-packet) and frees its slot. */
  #closeRun(run: number, emit: TcpCoalescerEmit): void {
    const packets = this.#packets;
    const first = this.#runFirst[run] ?? 0;
    const head = packets[first] ?? EMPTY;
    const segments = this.#runSegments[run] ?? 0;
    this.#runFirst[run] = -1;
    this.#openRuns--;
    if (segments === 1) {
      this.#emitAlone(head, emit);
      return;
    }

    const out = this.#buffer;
    const at = VNET_HDR_BYTES;
    const v4 = (head[0] ?? 0) >>> 4 === 4;
    const ipHeaderLen = v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    const headerLen = ipHeaderLen + ((head[ipHeaderLen + TCP_FIELD.DATA_OFFSET] ?? 0) >>> 4) * 4;
    const length = this.#runLength[run] ?? 0;
    copyRange.call(head, out, at, 0, head.length);
    let end = at + head.length;
    let last = head;
    for (let i = this.#nextInRun[first] ?? -1; i >= 0; i = this.#nextInRun[i] ?? -1) {
      last = packets[i] ?? EMPTY;
      copyRange.call(last, out, end, headerLen, last.length);
      end += last.length - headerLen;
    }
    // Flags differ at most in PSH, which only the last segment can have.
    out[at + ipHeaderLen + TCP_FIELD.FLAGS] = last[ipHeaderLen + TCP_FIELD.FLAGS] ?? 0;
    const tcpLen = length - ipHeaderLen;
    let pseudoSum: number;
    if (v4) {
      writeU16(out, at + IPV4_FIELD.TOTAL_LEN, length);
      writeU16(
        out,
        at + IPV4_FIELD.CHECKSUM,
        checksumSkippingField(out, at, at + IPV4_HEADER_LEN, at + IPV4_FIELD.CHECKSUM),
      );
      pseudoSum = ipv4PseudoHeaderSum(
        readU32(head, IPV4_FIELD.SRC),
        readU32(head, IPV4_FIELD.DST),
        IpProtocol.Tcp,
        tcpLen,
      );
    } else {
      writeU16(out, at + IPV6_FIELD.PAYLOAD_LEN, tcpLen);
      pseudoSum = ipv6PseudoHeaderSum(
        head,
        head,
        IpProtocol.Tcp,
        tcpLen,
        IPV6_FIELD.SRC,
        IPV6_FIELD.DST,
      );
    }
    // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not complemented.
    writeU16(out, at + ipHeaderLen + TCP_FIELD.CHECKSUM, foldChecksum(pseudoSum));

    const vnet = this.#vnetHeader;
    vnet.flags = VNET_F_NEEDS_CSUM;
    vnet.gsoType = v4 ? GSO_TCPV4 : GSO_TCPV6;
    vnet.hdrLen = headerLen;
    vnet.gsoSize = this.#runGsoSize[run] ?? 0;
    vnet.csumStart = ipHeaderLen;
    vnet.csumOffset = TCP_FIELD.CHECKSUM;
    vnet.write(out, 0);

    this.#packetsMerged += segments;
    this.#writesOut++;
    emit(out, true, VNET_HDR_BYTES + length);
  }

  #emitAlone(packet: Uint8Array, emit: TcpCoalescerEmit): void {
    this.#writesOut++;
    emit(packet, false, packet.length);
  }
}

/** Whether `a` and `b` hold the same bytes in `[start, end)`, `end - start` a multiple of 4. */
function sameWords(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i += 4) if (readU32(a, i) !== readU32(b, i)) return false;
  return true;
}

/** Whether two packets have the same IP version, source and destination. */
function sameAddresses(a: Uint8Array, b: Uint8Array): boolean {
  const version = (a[0] ?? 0) >>> 4;
  if ((b[0] ?? 0) >>> 4 !== version) return false;
  return version === 4
    ? readU32(a, IPV4_FIELD.SRC) === readU32(b, IPV4_FIELD.SRC) &&
        readU32(a, IPV4_FIELD.DST) === readU32(b, IPV4_FIELD.DST)
    : sameWords(a, b, IPV6_FIELD.SRC, IPV6_FIELD.DST + 16);
}

const EMPTY = new Uint8Array(0);

// Buffer's copy takes a source range, so no subarray is made per segment (see tcp-segmenter.ts).
const copyRange = Buffer.prototype.copy;
