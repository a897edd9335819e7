import { encodeTcpFrame, TcpFrameDecoder } from "@fz/dns";
import type { RandomSource } from "@fz/dns-nat";
import {
  buildTcpPacket,
  formatIpAddress,
  type IpAddress,
  isWireError,
  TcpFlag,
  type TcpPacket,
} from "@fz/ip-packet";

/** Largest segment payload we send: a 1280-byte IPv6 packet minus the IPv6 and TCP headers. */
export const DNS_TCP_MSS = 1220;
/** How long unacknowledged data (or SYN, or FIN) waits before it is sent again. */
export const DNS_TCP_RETRANSMIT_MS = 500;
/** Retransmissions of the same data before the connection is reset and forgotten. */
export const DNS_TCP_MAX_RETRANSMITS = 4;
/** A connection the client has not sent anything on for this long is reset and forgotten. */
export const DNS_TCP_IDLE_MS = 10_000;
/** Connections kept at most; a SYN beyond that resets the oldest. */
export const DNS_TCP_MAX_CONNECTIONS = 64;

/** One client connection to a DNS server port; the resolver keeps it as a forwarded query's token. */
export interface DnsTcpStream<C> {
  readonly client: IpAddress;
  readonly clientPort: number;
  readonly server: IpAddress;
  /** What the caller attached to the connection's SYN (for the client: the sentinel). */
  readonly context: C;
}

/** What to do with a query: the answer now, `"pending"` for one `deliver` brings later, or nothing. */
export type DnsTcpQueryHandler<C> = (
  query: Uint8Array,
  stream: DnsTcpStream<C>,
  now: number,
) => Uint8Array | "pending" | undefined;

export interface DnsTcpResponderOptions<C> {
  readonly random: RandomSource;
  /** Receives every segment we send, as a complete IP packet for the TUN device. */
  readonly send: (packet: Uint8Array) => void;
  readonly onQuery: DnsTcpQueryHandler<C>;
}

/**
 * A sans-IO TCP responder for DNS (RFC 7766) on one port of addresses we own: it accepts
 * connections, splits the byte stream into length-prefixed queries, and sends the answers
 * back in order. No congestion control, no window scaling, no out-of-order reassembly.
 */
export class DnsTcpResponder<C> {
  readonly #random: RandomSource;
  readonly #send: (packet: Uint8Array) => void;
  readonly #onQuery: DnsTcpQueryHandler<C>;
  readonly #connections = new Map<string, Connection<C>>();
  readonly #draw = new Uint8Array(4);

  constructor(options: DnsTcpResponderOptions<C>) {
    this.#random = options.random;
    this.#send = options.send;
    this.#onQuery = options.onQuery;
  }

  /** A segment from `client` to `server`; `context` is kept when it opens a connection. */
  handleSegment(
    client: IpAddress,
    server: IpAddress,
    tcp: TcpPacket,
    context: C,
    now: number,
  ): void {
    const key = keyOf(client, tcp.srcPort, server);
    const connection = this.#connections.get(key);
    if (connection === undefined) {
      if (tcp.syn && !tcp.ackFlag && !tcp.rst) {
        this.#accept(key, client, server, tcp, context, now);
      } else {
        this.#refuse(client, server, tcp);
      }
      return;
    }
    connection.idleAt = now + DNS_TCP_IDLE_MS;
    this.#segment(connection, tcp, now);
  }

  /** A late answer (a forward's response or its SERVFAIL) for a query that was `"pending"`. */
  deliver(stream: DnsTcpStream<C>, response: Uint8Array, now: number): void {
    const connection = this.#connections.get(
      keyOf(stream.client, stream.clientPort, stream.server),
    );
    if (connection !== stream || connection === undefined) return;
    if (connection.pending > 0) connection.pending--;
    this.#queue(connection, response);
    this.#flush(connection, now);
  }

  /** The earliest `now` at which `handleTimeout` has work. */
  pollTimeout(): number | undefined {
    let earliest: number | undefined;
    for (const connection of this.#connections.values()) {
      const at = Math.min(connection.idleAt, connection.retransmitAt ?? Number.POSITIVE_INFINITY);
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Retransmits what is due, and resets connections that gave up or went idle. */
  handleTimeout(now: number): void {
    for (const connection of [...this.#connections.values()]) {
      if (connection.idleAt <= now) {
        this.#abort(connection);
      } else if (connection.retransmitAt !== undefined && connection.retransmitAt <= now) {
        if (connection.retries >= DNS_TCP_MAX_RETRANSMITS) {
          this.#abort(connection);
        } else {
          connection.retries++;
          connection.retransmitAt = now + DNS_TCP_RETRANSMIT_MS;
          this.#retransmit(connection);
        }
      }
    }
  }

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  #accept(
    key: string,
    client: IpAddress,
    server: IpAddress,
    tcp: TcpPacket,
    context: C,
    now: number,
  ): void {
    if (this.#connections.size >= DNS_TCP_MAX_CONNECTIONS) {
      const oldest = this.#connections.values().next().value;
      if (oldest !== undefined) this.#abort(oldest);
    }
    this.#random(this.#draw);
    const iss =
      ((this.#draw[0] ?? 0) << 24) |
      ((this.#draw[1] ?? 0) << 16) |
      ((this.#draw[2] ?? 0) << 8) |
      (this.#draw[3] ?? 0);
    const connection = new Connection(
      key,
      client,
      tcp.srcPort,
      server,
      context,
      tcp.seq,
      iss >>> 0,
    );
    connection.mss = Math.max(MIN_MSS, Math.min(DNS_TCP_MSS, peerMss(tcp.options()) ?? 536));
    connection.peerWindow = tcp.window;
    connection.idleAt = now + DNS_TCP_IDLE_MS;
    connection.retransmitAt = now + DNS_TCP_RETRANSMIT_MS;
    this.#connections.set(key, connection);
    this.#synAck(connection);
  }

  #segment(connection: Connection<C>, tcp: TcpPacket, now: number): void {
    if (tcp.rst) {
      const offset = seqDiff(tcp.seq, connection.rcvNxt);
      if (offset >= 0 && offset < WINDOW) this.#forget(connection);
      return;
    }
    if (tcp.syn) {
      // A retransmitted SYN gets our SYN-ACK again; any other SYN a challenge ACK (RFC 5961).
      if (!connection.synAcked && !tcp.ackFlag && tcp.seq === connection.irs) {
        this.#synAck(connection);
      } else {
        this.#ack(connection);
      }
      return;
    }
    if (!tcp.ackFlag) return;
    if (!this.#acknowledge(connection, tcp, now)) return;
    const needsAck = this.#receive(connection, tcp, now);
    if (!this.#connections.has(connection.key)) return;
    if (this.#flush(connection, now) || !needsAck) return;
    this.#ack(connection);
  }

  /** Handles SEG.ACK; false when the segment must go no further. */
  #acknowledge(connection: Connection<C>, tcp: TcpPacket, now: number): boolean {
    const una = connection.sndUna();
    const beyond = seqDiff(tcp.ack, connection.sndNxt());
    let acked = seqDiff(tcp.ack, una);
    if (!connection.synAcked && (acked <= 0 || beyond > 0)) {
      this.#emit(connection, tcp.ack, 0, TcpFlag.Rst);
      return false;
    }
    if (beyond > 0) {
      this.#ack(connection);
      return false;
    }
    if (acked < 0) return true;
    connection.peerWindow = tcp.window;
    if (acked === 0) return true;
    if (!connection.synAcked) {
      connection.synAcked = true;
      acked--;
    }
    const data = Math.min(acked, connection.sent);
    connection.sendBuffer = connection.sendBuffer.subarray(data);
    connection.sent -= data;
    connection.dataStart = (connection.dataStart + data) >>> 0;
    if (acked > data && connection.finSent) connection.finAcked = true;
    connection.retries = 0;
    connection.retransmitAt = connection.outstanding() ? now + DNS_TCP_RETRANSMIT_MS : undefined;
    if (connection.finAcked && connection.peerFin) {
      this.#forget(connection);
      return false;
    }
    return true;
  }

  /** Takes in-order data and FIN; true when the segment occupied sequence space (it needs an ACK). */
  #receive(connection: Connection<C>, tcp: TcpPacket, now: number): boolean {
    const payload = tcp.payload();
    if (payload.length === 0 && !tcp.fin) return false;
    const offset = seqDiff(connection.rcvNxt, tcp.seq);
    // Out of order (ahead of us) or nothing new: the ACK the caller sends says where we are.
    if (connection.peerFin || offset < 0 || offset > payload.length) return true;
    if (offset === payload.length && !tcp.fin) return true;
    const fresh = payload.subarray(offset);
    connection.rcvNxt = (connection.rcvNxt + fresh.length + (tcp.fin ? 1 : 0)) >>> 0;
    if (tcp.fin) connection.peerFin = true;
    // A copy: the decoder keeps what it is given, and the shell reuses its packet buffers.
    connection.queries.push(fresh.slice());
    for (
      let message = connection.queries.poll();
      message !== undefined;
      message = connection.queries.poll()
    ) {
      const answer = this.#onQuery(message, connection, now);
      if (!this.#connections.has(connection.key)) return true;
      if (answer === "pending") connection.pending++;
      else if (answer !== undefined) this.#queue(connection, answer);
    }
    return true;
  }

  #queue(connection: Connection<C>, response: Uint8Array): void {
    const frame = encodeTcpFrame(response);
    if (!(frame instanceof Uint8Array)) return;
    connection.sendBuffer = concat(connection.sendBuffer, frame);
  }

  /** Sends new data the peer's window allows, then our FIN when all is said; true if it sent. */
  #flush(connection: Connection<C>, now: number): boolean {
    if (!connection.synAcked) return false;
    let sentAny = false;
    while (connection.sent < connection.sendBuffer.length) {
      const room = connection.peerWindow - connection.sent;
      const size = Math.min(connection.mss, connection.sendBuffer.length - connection.sent, room);
      if (size <= 0) break;
      const start = connection.sent;
      this.#emit(
        connection,
        (connection.dataStart + start) >>> 0,
        connection.rcvNxt,
        TcpFlag.Psh | TcpFlag.Ack,
        connection.sendBuffer.subarray(start, start + size),
      );
      connection.sent += size;
      sentAny = true;
    }
    const allSent = connection.sent === connection.sendBuffer.length;
    if (connection.peerFin && connection.pending === 0 && allSent && !connection.finSent) {
      connection.finSent = true;
      this.#emit(
        connection,
        (connection.dataStart + connection.sent) >>> 0,
        connection.rcvNxt,
        TcpFlag.Fin | TcpFlag.Ack,
      );
      sentAny = true;
    }
    if (sentAny && connection.retransmitAt === undefined) {
      connection.retransmitAt = now + DNS_TCP_RETRANSMIT_MS;
    }
    return sentAny;
  }

  #retransmit(connection: Connection<C>): void {
    if (!connection.synAcked) {
      this.#synAck(connection);
      return;
    }
    for (let start = 0; start < connection.sent; start += connection.mss) {
      const end = Math.min(connection.sent, start + connection.mss);
      this.#emit(
        connection,
        (connection.dataStart + start) >>> 0,
        connection.rcvNxt,
        TcpFlag.Psh | TcpFlag.Ack,
        connection.sendBuffer.subarray(start, end),
      );
    }
    if (connection.finSent && !connection.finAcked) {
      const finSeq = (connection.dataStart + connection.sent) >>> 0;
      this.#emit(connection, finSeq, connection.rcvNxt, TcpFlag.Fin | TcpFlag.Ack);
    }
  }

  #synAck(connection: Connection<C>): void {
    const options = Uint8Array.of(2, 4, DNS_TCP_MSS >>> 8, DNS_TCP_MSS & 0xff);
    this.#emit(
      connection,
      connection.iss,
      connection.rcvNxt,
      TcpFlag.Syn | TcpFlag.Ack,
      EMPTY,
      options,
    );
  }

  #ack(connection: Connection<C>): void {
    this.#emit(connection, connection.sndNxt(), connection.rcvNxt, TcpFlag.Ack);
  }

  #abort(connection: Connection<C>): void {
    this.#emit(connection, connection.sndNxt(), connection.rcvNxt, TcpFlag.Rst | TcpFlag.Ack);
    this.#forget(connection);
  }

  #forget(connection: Connection<C>): void {
    this.#connections.delete(connection.key);
  }

  /** RFC 9293 3.10.7.1: a segment for no connection gets RST, unless it is one. */
  #refuse(client: IpAddress, server: IpAddress, tcp: TcpPacket): void {
    if (tcp.rst) return;
    const to = { client, clientPort: tcp.srcPort, server };
    if (tcp.ackFlag) {
      this.#emit(to, tcp.ack, 0, TcpFlag.Rst);
    } else {
      const length = tcp.payload().length + (tcp.syn ? 1 : 0) + (tcp.fin ? 1 : 0);
      this.#emit(to, 0, (tcp.seq + length) >>> 0, TcpFlag.Rst | TcpFlag.Ack);
    }
  }

  #emit(
    to: { readonly client: IpAddress; readonly clientPort: number; readonly server: IpAddress },
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array = EMPTY,
    options?: Uint8Array,
  ): void {
    const packet = buildTcpPacket(
      {
        src: to.server,
        dst: to.client,
        srcPort: DNS_PORT,
        dstPort: to.clientPort,
        seq,
        ack,
        flags,
        window: WINDOW,
        ...(options === undefined ? {} : { options }),
      },
      payload,
    );
    if (!isWireError(packet)) this.#send(packet);
  }
}

const DNS_PORT = 53;
/** Floor for a peer's MSS option, so that a silly value cannot make us send byte by byte. */
const MIN_MSS = 64;
const WINDOW = 0xffff;
const EMPTY = new Uint8Array(0);

class Connection<C> implements DnsTcpStream<C> {
  /** Sequence number of `sendBuffer[0]`. */
  dataStart: number;
  rcvNxt: number;
  synAcked = false;
  /** Our data from `dataStart` on: the first `sent` bytes are in flight, the rest not sent yet. */
  sendBuffer: Uint8Array = EMPTY;
  sent = 0;
  /** The client's byte stream, split into queries. */
  readonly queries = new TcpFrameDecoder();
  peerWindow = 0;
  mss = DNS_TCP_MSS;
  peerFin = false;
  finSent = false;
  finAcked = false;
  /** Queries whose answers `deliver` will bring; our FIN waits for them. */
  pending = 0;
  retransmitAt: number | undefined;
  retries = 0;
  idleAt = 0;

  constructor(
    readonly key: string,
    readonly client: IpAddress,
    readonly clientPort: number,
    readonly server: IpAddress,
    readonly context: C,
    readonly irs: number,
    readonly iss: number,
  ) {
    this.dataStart = (iss + 1) >>> 0;
    this.rcvNxt = (irs + 1) >>> 0;
  }

  sndUna(): number {
    return this.synAcked ? this.dataStart : this.iss;
  }

  sndNxt(): number {
    if (!this.synAcked) return this.dataStart;
    return (this.dataStart + this.sent + (this.finSent && !this.finAcked ? 1 : 0)) >>> 0;
  }

  outstanding(): boolean {
    return !this.synAcked || this.sent > 0 || (this.finSent && !this.finAcked);
  }
}

function keyOf(client: IpAddress, clientPort: number, server: IpAddress): string {
  return `${formatIpAddress(client)}|${clientPort}|${formatIpAddress(server)}`;
}

/** `a - b` in sequence space: negative when `a` comes before `b`. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a` then `b`; `b` itself when `a` is empty, so it must not be changed afterwards. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** The MSS option's value, if the options carry one. */
function peerMss(options: Uint8Array): number | undefined {
  for (let i = 0; i < options.length; ) {
    const kind = options[i] ?? 0;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = options[i + 1] ?? 0;
    if (length < 2) return undefined;
    if (kind === 2 && length === 4 && i + 4 <= options.length) {
      return ((options[i + 2] ?? 0) << 8) | (options[i + 3] ?? 0);
    }
    i += length;
  }
  return undefined;
}
