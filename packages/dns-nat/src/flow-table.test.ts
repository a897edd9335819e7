import { describe, expect, test } from "bun:test";
import {
  GatewayDnsNat,
  ICMP_FLOW_IDLE_MS,
  TCP_CLOSED_LINGER_MS,
  TCP_FLOW_IDLE_MS,
  UDP_FLOW_IDLE_MS,
  UNCONFIRMED_FLOW_MS,
} from "@fz/dns-nat";
import { type IpAddress, TcpFlag } from "@fz/ip-packet";
import fc from "fast-check";
import { CLIENT, CLIENT_V4, CLIENT_V6, echo, setUp, tcp, udp, v4, v6 } from "./nat-test-packets.ts";

const PROPERTY_TIMEOUT_MS = 60_000;
const REAL_V4 = v4("10.0.0.1");
const PROXY = v4("100.96.0.1");
const REAL_V6 = v6("2001:db8::1");
const PROXY_6 = v6("fd00:2021:1111:8000::1");

function table(): GatewayDnsNat {
  const nat = new GatewayDnsNat();
  setUp(nat, [REAL_V4, REAL_V6]);
  return nat;
}

/** Runs every timeout up to `until`, as the shell does; returns when the flow count first fell. */
function runTimers(nat: GatewayDnsNat, until: number): number | undefined {
  const start = nat.flowCount;
  let dropped: number | undefined;
  for (let at = nat.pollTimeout(); at !== undefined && at <= until; at = nat.pollTimeout()) {
    nat.handleTimeout(at);
    if (dropped === undefined && nat.flowCount < start) dropped = at;
  }
  return dropped;
}

/** The time the table's only flow expires, found by following pollTimeout alone. */
function expiryOf(nat: GatewayDnsNat): number | undefined {
  return runTimers(nat, Number.MAX_SAFE_INTEGER);
}

type Flags = number;
const out = (nat: GatewayDnsNat, now: number, flags: Flags = TcpFlag.Ack) =>
  nat.translateOutbound(CLIENT, tcp(CLIENT_V4, PROXY, 40000, 443, flags), now).kind;
const back = (nat: GatewayDnsNat, now: number, flags: Flags = TcpFlag.Ack) =>
  nat.translateInbound(tcp(REAL_V4, CLIENT_V4, 443, 40000, flags), now).kind;

describe("flow expiry", () => {
  test("a flow the resource never answered lasts 60 s after its last outbound packet", () => {
    const nat = table();
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 0);
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 30_000);
    expect(runTimers(nat, 30_000 + UNCONFIRMED_FLOW_MS - 1)).toBeUndefined();
    expect(nat.flowCount).toBe(1);
    expect(expiryOf(nat)).toBe(30_000 + UNCONFIRMED_FLOW_MS);
    expect(nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), 100_000).kind).toBe("no-flow");
    expect(nat.counters().flowsExpired).toBe(1);
    expect(nat.pollTimeout()).toBeUndefined();
  });

  test("UDP lasts 2 min after its last packet either way once answered", () => {
    const nat = table();
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 0);
    nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), 1_000);
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 50_000);
    nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), 70_000);
    expect(expiryOf(nat)).toBe(70_000 + UDP_FLOW_IDLE_MS);
  });

  test("an answered UDP flow is not cut at 60 s when the client goes quiet", () => {
    const nat = table();
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 0);
    nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), 10);
    expect(runTimers(nat, UDP_FLOW_IDLE_MS)).toBeUndefined();
    expect(nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), UDP_FLOW_IDLE_MS).kind).toBe(
      "translated",
    );
  });

  test("ICMP echo lasts 2 min idle", () => {
    const nat = table();
    nat.translateOutbound(CLIENT, echo(CLIENT_V6, PROXY_6, 77), 0);
    nat.translateInbound(echo(REAL_V6, CLIENT_V6, 77, true), 5);
    expect(expiryOf(nat)).toBe(5 + ICMP_FLOW_IDLE_MS);
  });

  test("TCP lasts 2 h 4 min idle once answered, 60 s if never", () => {
    const answered = table();
    out(answered, 0, TcpFlag.Syn);
    back(answered, 20, TcpFlag.Syn | TcpFlag.Ack);
    out(answered, 40);
    expect(expiryOf(answered)).toBe(40 + TCP_FLOW_IDLE_MS);
    const unanswered = table();
    out(unanswered, 0, TcpFlag.Syn);
    out(unanswered, 1000, TcpFlag.Syn);
    expect(expiryOf(unanswered)).toBe(1000 + UNCONFIRMED_FLOW_MS);
  });

  test("FIN both ways: the flow lasts 5 s after its last packet", () => {
    const nat = table();
    out(nat, 0, TcpFlag.Syn);
    back(nat, 10, TcpFlag.Syn | TcpFlag.Ack);
    out(nat, 1_000, TcpFlag.Fin | TcpFlag.Ack);
    expect(runTimers(nat, 100_000)).toBeUndefined();
    back(nat, 101_000, TcpFlag.Fin | TcpFlag.Ack);
    out(nat, 101_500);
    expect(expiryOf(nat)).toBe(101_500 + TCP_CLOSED_LINGER_MS);
  });

  test("FIN one way only keeps the TCP idle time (a half-closed connection)", () => {
    const nat = table();
    out(nat, 0, TcpFlag.Syn);
    back(nat, 10, TcpFlag.Syn | TcpFlag.Ack);
    back(nat, 20, TcpFlag.Fin | TcpFlag.Ack);
    expect(expiryOf(nat)).toBe(20 + TCP_FLOW_IDLE_MS);
  });

  test("RST either way removes the flow at once", () => {
    const outbound = table();
    out(outbound, 0, TcpFlag.Syn);
    back(outbound, 10, TcpFlag.Syn | TcpFlag.Ack);
    expect(out(outbound, 20, TcpFlag.Rst)).toBe("translated");
    expect(outbound.flowCount).toBe(0);
    expect(back(outbound, 21)).toBe("no-flow");
    const inbound = table();
    out(inbound, 0, TcpFlag.Syn);
    expect(back(inbound, 10, TcpFlag.Rst | TcpFlag.Ack)).toBe("translated");
    expect(inbound.flowCount).toBe(0);
    expect(inbound.counters().flowsReset).toBe(1);
  });

  test("after expiry the next packet starts a new flow on the same port", () => {
    const nat = table();
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 5000, 53), 0);
    expect(expiryOf(nat)).toBe(UNCONFIRMED_FLOW_MS);
    const packet = udp(CLIENT_V4, PROXY, 5000, 53);
    expect(nat.translateOutbound(CLIENT, packet, 70_000).kind).toBe("translated");
    expect(nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 5000), 70_001).kind).toBe("translated");
    expect(nat.counters().flowsCreated).toBe(2);
  });

  test("pollTimeout reports the earliest of many flows", () => {
    const nat = table();
    for (let port = 50; port >= 1; port--) {
      nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, port, 53), 1000 - port * 10);
    }
    expect(nat.pollTimeout()).toBe(1000 - 500 + UNCONFIRMED_FLOW_MS);
    expect(runTimers(nat, 1000 - 250 + UNCONFIRMED_FLOW_MS)).toBe(500 + UNCONFIRMED_FLOW_MS);
    expect(nat.flowCount).toBe(24);
  });
});

describe("many flows", () => {
  test("deadlines stay exact while thousands of reset flows come and go", () => {
    const nat = table();
    // Ten long-lived UDP flows, answered at different times.
    for (let i = 0; i < 10; i++) {
      nat.translateOutbound(CLIENT, udp(CLIENT_V4, PROXY, 100 + i, 53), i * 1000);
      nat.translateInbound(udp(REAL_V4, CLIENT_V4, 53, 100 + i), i * 1000 + 1);
    }
    for (let port = 1000; port < 6000; port++) {
      const now = 10_000 + port;
      out2(nat, port, now, TcpFlag.Syn);
      expect(nat.translateInbound(tcp(REAL_V4, CLIENT_V4, 443, port, TcpFlag.Rst), now).kind).toBe(
        "translated",
      );
    }
    expect(nat.flowCount).toBe(10);
    const expiries: number[] = [];
    for (let at = nat.pollTimeout(); at !== undefined; at = nat.pollTimeout()) {
      const before = nat.flowCount;
      nat.handleTimeout(at);
      for (let gone = before - nat.flowCount; gone > 0; gone--) expiries.push(at);
    }
    expect(expiries).toEqual(Array.from({ length: 10 }, (_, i) => i * 1000 + 1 + UDP_FLOW_IDLE_MS));
  });
});

function out2(nat: GatewayDnsNat, port: number, now: number, flags: Flags): void {
  nat.translateOutbound(CLIENT, tcp(CLIENT_V4, PROXY, port, 443, flags), now);
}

describe("expiry against a model", () => {
  type Step = { readonly dt: number; readonly inbound: boolean; readonly flags: number };
  const kinds = ["tcp", "udp", "icmp"] as const;
  const step: fc.Arbitrary<Step> = fc.record({
    dt: fc.oneof(
      fc.constantFrom(
        0,
        1,
        TCP_CLOSED_LINGER_MS - 1,
        TCP_CLOSED_LINGER_MS,
        UNCONFIRMED_FLOW_MS - 1,
        UNCONFIRMED_FLOW_MS,
        UDP_FLOW_IDLE_MS,
        TCP_FLOW_IDLE_MS - 1,
        TCP_FLOW_IDLE_MS,
      ),
      fc.integer({ min: 0, max: 200_000 }),
    ),
    inbound: fc.boolean(),
    flags: fc.constantFrom(TcpFlag.Ack, TcpFlag.Ack, TcpFlag.Fin | TcpFlag.Ack, TcpFlag.Rst),
  });

  test(
    "a flow lives exactly as long as the rules say, whatever its packets",
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...kinds), fc.array(step, { maxLength: 25 }), (kind, steps) => {
          const nat = table();
          const packet = (inbound: boolean, flags: number): Uint8Array => {
            const [src, dst]: [IpAddress, IpAddress] = inbound
              ? [REAL_V4, CLIENT_V4]
              : [CLIENT_V4, PROXY];
            if (kind === "udp") return inbound ? udp(src, dst, 53, 9) : udp(src, dst, 9, 53);
            if (kind === "icmp") return echo(src, dst, 9, inbound);
            return inbound ? tcp(src, dst, 443, 9, flags) : tcp(src, dst, 9, 443, flags);
          };
          const idle =
            kind === "tcp"
              ? TCP_FLOW_IDLE_MS
              : kind === "udp"
                ? UDP_FLOW_IDLE_MS
                : ICMP_FLOW_IDLE_MS;
          let model:
            | { lastOut: number; lastIn: number | undefined; finOut: boolean; finIn: boolean }
            | undefined;
          const deadline = (): number => {
            if (model === undefined) return Number.NEGATIVE_INFINITY;
            const last = Math.max(model.lastOut, model.lastIn ?? model.lastOut);
            let at = last + idle;
            if (model.lastIn === undefined) at = Math.min(at, model.lastOut + UNCONFIRMED_FLOW_MS);
            if (model.finOut && model.finIn) at = Math.min(at, last + TCP_CLOSED_LINGER_MS);
            return at;
          };
          let now = 0;
          for (const { dt, inbound, flags } of [
            { dt: 0, inbound: false, flags: TcpFlag.Syn },
            ...steps,
          ]) {
            now += dt;
            runTimers(nat, now);
            nat.handleTimeout(now);
            if (model !== undefined && deadline() <= now) model = undefined;
            expect(nat.flowCount).toBe(model === undefined ? 0 : 1);
            const result = inbound
              ? nat.translateInbound(packet(true, flags), now)
              : nat.translateOutbound(CLIENT, packet(false, flags), now);
            if (inbound && model === undefined) {
              expect(result.kind).toBe("no-flow");
              continue;
            }
            expect(result.kind).toBe("translated");
            model ??= { lastOut: now, lastIn: undefined, finOut: false, finIn: false };
            if (inbound) model.lastIn = now;
            else model.lastOut = now;
            if (kind === "tcp" && (flags & TcpFlag.Rst) !== 0) model = undefined;
            else if (kind === "tcp" && (flags & TcpFlag.Fin) !== 0) {
              if (inbound) model.finIn = true;
              else model.finOut = true;
            }
            expect(nat.flowCount).toBe(model === undefined ? 0 : 1);
          }
          expect(expiryOf(nat)).toBe(model === undefined ? undefined : deadline());
        }),
        { numRuns: 300 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
