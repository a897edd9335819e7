import { describe, expect, test } from "bun:test";
import {
  asTcp,
  buildTcpPacket,
  isWireError,
  parseIpPacket,
  TcpFlag,
  type TcpPacket,
  transportChecksumValid,
} from "@fz/ip-packet";
import {
  DNS_TCP_MAX_CONNECTIONS,
  DNS_TCP_MAX_RETRANSMITS,
  DNS_TCP_MSS,
  DNS_TCP_RETRANSMIT_MS,
  DnsTcpResponder,
} from "@fz/tunnel";
import fc from "fast-check";

const CLIENT = 0x64_40_00_02; // 100.64.0.2
const SENTINEL = 0x64_64_6f_01; // 100.100.111.1
const PORT = 40000;
const CLIENT_ISN = 0xffff_fff0; // wraps during the tests

/** A fake application talking to the responder, with a clock and a record of what came back. */
class World {
  now = 0;
  readonly sent: TcpPacket[] = [];
  readonly queries: Uint8Array[] = [];
  readonly responder: DnsTcpResponder<string>;
  seq = CLIENT_ISN;
  ack = 0;
  /** The sequence number after the last segment the responder sent. */
  peerNext = 0;

  /** Queries whose first byte is 0xff are "forwarded": answered later through `deliver`. */
  constructor() {
    let draw = 7;
    this.responder = new DnsTcpResponder<string>({
      random: (into) => {
        for (let i = 0; i < into.length; i++) into[i] = draw = (draw * 73 + 41) & 0xff;
      },
      send: (packet) => this.record(packet),
      onQuery: (query, stream) => {
        expect(stream.context).toBe("sentinel-0");
        this.queries.push(query);
        return query[0] === 0xff ? "pending" : answerTo(query);
      },
    });
  }

  segment(
    flags: number,
    payload: Uint8Array = new Uint8Array(0),
    seq = this.seq,
    options?: Uint8Array,
  ): Uint8Array {
    const packet = buildTcpPacket(
      {
        src: CLIENT,
        dst: SENTINEL,
        srcPort: PORT,
        dstPort: 53,
        seq,
        ack: this.ack,
        flags,
        window: 65535,
        ...(options === undefined ? {} : { options }),
      },
      payload,
    );
    if (isWireError(packet)) throw new Error(packet.kind);
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) throw new Error(parsed.kind);
    const tcp = asTcp(parsed);
    if (isWireError(tcp)) throw new Error(tcp.kind);
    this.responder.handleSegment(CLIENT, SENTINEL, tcp, "sentinel-0", this.now);
    return packet;
  }

  /** SYN, SYN-ACK, ACK. */
  connect(): void {
    this.segment(TcpFlag.Syn, new Uint8Array(0), this.seq, Uint8Array.of(2, 4, 0x05, 0xb4));
    const synAck = this.take()[0];
    if (synAck === undefined) throw new Error("no SYN-ACK");
    this.seq = (this.seq + 1) >>> 0;
    this.ack = (synAck.seq + 1) >>> 0;
    this.segment(TcpFlag.Ack);
  }

  /** Sends data in order and moves our sequence number on; returns the packet it handed over. */
  send(bytes: Uint8Array, flags = TcpFlag.Ack | TcpFlag.Psh): Uint8Array {
    const packet = this.segment(flags, bytes);
    this.seq = (this.seq + bytes.length + (flags & TcpFlag.Fin ? 1 : 0)) >>> 0;
    return packet;
  }

  record(packet: Uint8Array): void {
    const tcp = tcpOf(packet);
    this.sent.push(tcp);
    const length = tcp.payload().length + (tcp.fin ? 1 : 0) + (tcp.syn ? 1 : 0);
    this.peerNext = (tcp.seq + length) >>> 0;
  }

  /** Acknowledges everything received so far. */
  ackAll(): void {
    this.ack = this.peerNext;
    this.segment(TcpFlag.Ack);
  }

  take(): TcpPacket[] {
    return this.sent.splice(0);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (let next = this.responder.pollTimeout(); next !== undefined && next <= end; ) {
      this.now = Math.max(this.now, next);
      this.responder.handleTimeout(this.now);
      next = this.responder.pollTimeout();
    }
    this.now = end;
  }
}

function tcpOf(packet: Uint8Array): TcpPacket {
  const parsed = parseIpPacket(packet);
  if (isWireError(parsed)) throw new Error(parsed.kind);
  expect(transportChecksumValid(parsed)).toBe(true);
  expect(parsed.src).toBe(SENTINEL);
  expect(parsed.dst).toBe(CLIENT);
  const tcp = asTcp(parsed);
  if (isWireError(tcp)) throw new Error(tcp.kind);
  expect(tcp.srcPort).toBe(53);
  return tcp;
}

function frame(message: Uint8Array): Uint8Array {
  return Uint8Array.from([message.length >> 8, message.length & 0xff, ...message]);
}

function answerTo(query: Uint8Array): Uint8Array {
  return Uint8Array.from([...query, 0xaa, 0xbb]);
}

function query(id: number, size = 12): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i === 0 ? id : i));
}

function stream(segments: readonly TcpPacket[]): number[] {
  return segments.flatMap((segment) => [...segment.payload()]);
}

describe("DnsTcpResponder", () => {
  test("answers a SYN with SYN-ACK acknowledging it and an MSS of 1220", () => {
    const world = new World();
    world.segment(TcpFlag.Syn);
    const [synAck, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect(synAck?.flags).toBe(TcpFlag.Syn | TcpFlag.Ack);
    expect(synAck?.ack).toBe((CLIENT_ISN + 1) >>> 0);
    expect([...(synAck?.options() ?? [])]).toEqual([2, 4, DNS_TCP_MSS >> 8, DNS_TCP_MSS & 0xff]);
    expect(world.responder.connections).toBe(1);
  });

  test("answers one query with a length-prefixed answer that acknowledges it", () => {
    const world = new World();
    world.connect();
    expect(world.take()).toHaveLength(0);
    world.send(frame(query(1)));
    const [answer, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect(answer?.flags).toBe(TcpFlag.Psh | TcpFlag.Ack);
    expect(answer?.ack).toBe(world.seq);
    expect(answer?.seq).toBe(world.ack);
    expect([...(answer?.payload() ?? [])]).toEqual([...frame(answerTo(query(1)))]);
  });

  test("answers two queries in one segment in order", () => {
    const world = new World();
    world.connect();
    world.send(Uint8Array.from([...frame(query(1)), ...frame(query(2, 20))]));
    expect(stream(world.take())).toEqual([
      ...frame(answerTo(query(1))),
      ...frame(answerTo(query(2, 20))),
    ]);
    expect(world.queries).toHaveLength(2);
  });

  test("acknowledges half a query and answers once the rest arrives", () => {
    const world = new World();
    world.connect();
    const whole = frame(query(3, 30));
    world.send(whole.subarray(0, 1));
    world.send(whole.subarray(1, 17));
    const acks = world.take();
    expect(acks.map((segment) => [segment.flags, segment.payload().length])).toEqual([
      [TcpFlag.Ack, 0],
      [TcpFlag.Ack, 0],
    ]);
    expect(acks[1]?.ack).toBe(world.seq);
    world.send(whole.subarray(17));
    expect(stream(world.take())).toEqual([...frame(answerTo(query(3, 30)))]);
  });

  test("queries survive the caller reusing its packet buffers", () => {
    const world = new World();
    world.connect();
    const split = frame(query(5, 30));
    world.send(Uint8Array.from([...frame(query(4)), ...split.subarray(0, 10)])).fill(0);
    world.send(split.subarray(10)).fill(0);
    expect(world.queries.map((kept) => [...kept])).toEqual([[...query(4)], [...query(5, 30)]]);
    expect(stream(world.take())).toEqual([
      ...frame(answerTo(query(4))),
      ...frame(answerTo(query(5, 30))),
    ]);
  });

  test("re-acknowledges out-of-order and duplicate segments without reading them", () => {
    const world = new World();
    world.connect();
    const start = world.seq;
    world.segment(TcpFlag.Ack, frame(query(4)), (start + 5) >>> 0);
    world.send(frame(query(5)));
    world.segment(TcpFlag.Ack, frame(query(5)), start);
    const replies = world.take();
    expect(replies.map((segment) => segment.ack)).toEqual([start, world.seq, world.seq]);
    expect(world.queries.map((q) => q[0])).toEqual([5]);
  });

  test("splits a large answer at the MSS", () => {
    const world = new World();
    world.connect();
    world.send(frame(query(6, 3000)));
    const segments = world.take();
    expect(segments.map((segment) => segment.payload().length)).toEqual([
      DNS_TCP_MSS,
      DNS_TCP_MSS,
      3004 - 2 * DNS_TCP_MSS,
    ]);
    expect(stream(segments)).toEqual([...frame(answerTo(query(6, 3000)))]);
  });

  test("a forwarded query is answered when delivered, and FIN waits for it", () => {
    const world = new World();
    let token: Parameters<DnsTcpResponder<string>["deliver"]>[0] | undefined;
    const responder = new DnsTcpResponder<string>({
      random: (into) => into.fill(1),
      send: (packet) => world.record(packet),
      onQuery: (_query, stream) => {
        token = stream;
        return "pending";
      },
    });
    Object.defineProperty(world, "responder", { value: responder });
    world.connect();
    world.send(frame(query(0xff)));
    world.send(new Uint8Array(0), TcpFlag.Fin | TcpFlag.Ack);
    const acks = world.take();
    expect(acks.every((segment) => segment.flags === TcpFlag.Ack)).toBe(true);
    if (token === undefined) throw new Error("no query");
    responder.deliver(token, Uint8Array.of(9, 9, 9), world.now);
    const [data, fin, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect([...(data?.payload() ?? [])]).toEqual([0, 3, 9, 9, 9]);
    expect(fin?.flags).toBe(TcpFlag.Fin | TcpFlag.Ack);
    expect(fin?.ack).toBe(world.seq);
    world.ackAll();
    expect(responder.connections).toBe(0);
    responder.deliver(token, Uint8Array.of(1), world.now);
    expect(world.take()).toHaveLength(0);
  });

  test("a FIN is acknowledged with our FIN and the final ACK forgets the connection", () => {
    const world = new World();
    world.connect();
    world.send(frame(query(7)));
    world.ackAll();
    world.take();
    world.send(new Uint8Array(0), TcpFlag.Fin | TcpFlag.Ack);
    const [fin, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect(fin?.flags).toBe(TcpFlag.Fin | TcpFlag.Ack);
    expect(fin?.ack).toBe(world.seq);
    world.ackAll();
    expect(world.responder.connections).toBe(0);
    expect(world.responder.pollTimeout()).toBeUndefined();
  });

  test("an in-window RST forgets the connection silently; one out of window is ignored", () => {
    const world = new World();
    world.connect();
    world.segment(TcpFlag.Rst, new Uint8Array(0), (world.seq + 100_000) >>> 0);
    expect(world.responder.connections).toBe(1);
    world.segment(TcpFlag.Rst);
    expect(world.responder.connections).toBe(0);
    expect(world.take()).toHaveLength(0);
  });

  test("unacknowledged data is sent again every 500 ms, 4 times, then reset", () => {
    const world = new World();
    world.connect();
    world.send(frame(query(8)));
    const [original] = world.take();
    for (let i = 0; i < DNS_TCP_MAX_RETRANSMITS; i++) {
      world.advance(DNS_TCP_RETRANSMIT_MS);
      const [again, ...rest] = world.take();
      expect(rest).toHaveLength(0);
      expect(again?.seq).toBe(original?.seq ?? -1);
      expect([...(again?.payload() ?? [])]).toEqual([...(original?.payload() ?? [])]);
    }
    world.advance(DNS_TCP_RETRANSMIT_MS);
    const [reset, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect(reset?.rst).toBe(true);
    expect(world.responder.connections).toBe(0);
  });

  test("an acknowledgment stops the retransmissions; an idle connection is reset after 10 s", () => {
    const world = new World();
    world.connect();
    world.send(frame(query(9)));
    world.ackAll();
    world.take();
    world.advance(9_999);
    expect(world.take()).toHaveLength(0);
    world.advance(1);
    expect(world.take().map((segment) => segment.rst)).toEqual([true]);
    expect(world.responder.connections).toBe(0);
  });

  test("a segment for no connection gets RST by RFC 9293's rules, an RST gets nothing", () => {
    const world = new World();
    world.ack = 0x1234_5678;
    world.segment(TcpFlag.Ack | TcpFlag.Psh, frame(query(1)));
    world.segment(TcpFlag.Fin, new Uint8Array(3), 100);
    world.segment(TcpFlag.Rst | TcpFlag.Ack);
    const [withAck, withoutAck, ...rest] = world.take();
    expect(rest).toHaveLength(0);
    expect([withAck?.flags, withAck?.seq]).toEqual([TcpFlag.Rst, 0x1234_5678]);
    expect([withoutAck?.flags, withoutAck?.seq, withoutAck?.ack]).toEqual([
      TcpFlag.Rst | TcpFlag.Ack,
      0,
      104,
    ]);
    expect(world.responder.connections).toBe(0);
  });

  test(`keeps at most ${DNS_TCP_MAX_CONNECTIONS} connections, resetting the oldest`, () => {
    const world = new World();
    for (let i = 0; i <= DNS_TCP_MAX_CONNECTIONS; i++) {
      const packet = buildTcpPacket(
        {
          src: CLIENT,
          dst: SENTINEL,
          srcPort: 1000 + i,
          dstPort: 53,
          seq: 1,
          ack: 0,
          flags: TcpFlag.Syn,
          window: 1000,
        },
        new Uint8Array(0),
      );
      if (isWireError(packet)) throw new Error(packet.kind);
      const parsed = parseIpPacket(packet);
      if (isWireError(parsed)) throw new Error(parsed.kind);
      const tcp = asTcp(parsed);
      if (isWireError(tcp)) throw new Error(tcp.kind);
      world.responder.handleSegment(CLIENT, SENTINEL, tcp, "sentinel-0", 0);
    }
    expect(world.responder.connections).toBe(DNS_TCP_MAX_CONNECTIONS);
    const resets = world.take().filter((segment) => segment.rst);
    expect(resets.map((segment) => segment.dstPort)).toEqual([1000]);
  });

  test("random segments never throw and every reply has valid checksums", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            flags: fc.integer({ min: 0, max: 0x3f }),
            seqDelta: fc.integer({ min: -3, max: 40 }),
            ackDelta: fc.integer({ min: -3, max: 40 }),
            payload: fc.uint8Array({ maxLength: 60 }),
            wait: fc.integer({ min: 0, max: 2000 }),
          }),
          { maxLength: 30 },
        ),
        (steps) => {
          const world = new World();
          world.connect();
          for (const step of steps) {
            world.ack = (world.ack + step.ackDelta) >>> 0;
            world.segment(step.flags, step.payload, (world.seq + step.seqDelta) >>> 0);
            world.advance(step.wait);
          }
          expect(world.responder.connections).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
