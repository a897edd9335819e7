import { describe, expect, test } from "bun:test";
import {
  buildAssignedIps,
  buildDomainStatus,
  buildGoodbye,
  buildP2pControlPacket,
  decodeP2pEvent,
  IpProtocol,
  isP2pControl,
  MAX_IP_SIZE,
  P2pControlPacket,
  P2pEventType,
  parseIpPacket,
} from "@fz/ip-packet";
import fc from "fast-check";
import {
  P2P_DOMAIN_STATUS,
  P2P_GOODBYE,
  UDP4_DNS_QUERY,
  UDP6_DNS_QUERY,
} from "../test/known-packets.ts";
import { hex, kindOf, ok } from "../test/support.ts";

const control = (bytes: Uint8Array) => ok(P2pControlPacket.checked(ok(parseIpPacket(bytes))));
const RESOURCE = "00000000-0000-0000-0000-000000000065";

describe("p2p control framing", () => {
  test("Goodbye and DomainStatus match the known packets byte for byte", () => {
    expect(hex(ok(buildGoodbye()))).toBe(hex(P2P_GOODBYE));
    const status = buildDomainStatus({
      resource: RESOURCE,
      domain: "example.com",
      status: "Active",
    });
    expect(hex(ok(status))).toBe(hex(P2P_DOMAIN_STATUS));
  });

  test("a control packet is IPv6 from :: to :: with next header 0xFF and hop limit 0", () => {
    const packet = ok(parseIpPacket(P2P_GOODBYE));
    expect(packet.version).toBe(6);
    expect(packet.version === 6 && [packet.nextHeader, packet.hopLimit, packet.payloadLen]).toEqual(
      [IpProtocol.Reserved, 0, 8],
    );
    expect(isP2pControl(packet)).toBe(true);
    expect(isP2pControl(ok(parseIpPacket(UDP6_DNS_QUERY)))).toBe(false);
    expect(isP2pControl(ok(parseIpPacket(UDP4_DNS_QUERY)))).toBe(false);
  });

  test("reads the event type and the body", () => {
    const packet = control(P2P_DOMAIN_STATUS);
    expect(packet.eventType).toBe(P2pEventType.DomainStatus);
    expect(JSON.parse(new TextDecoder().decode(packet.body()))).toEqual({
      resource: RESOURCE,
      domain: "example.com",
      status: "Active",
    });
    expect(control(P2P_GOODBYE).body().length).toBe(0);
  });

  test("refuses other packets, a short header and a packet over 1280 bytes", () => {
    expect(kindOf(P2pControlPacket.checked(ok(parseIpPacket(UDP6_DNS_QUERY))))).toBe(
      "not-p2p-control",
    );
    const short = P2P_GOODBYE.slice(0, 44);
    short[5] = 4;
    expect(kindOf(P2pControlPacket.checked(ok(parseIpPacket(short))))).toBe("truncated");
    expect(kindOf(buildP2pControlPacket(0, new Uint8Array(MAX_IP_SIZE - 48)))).toBe("ok");
    expect(kindOf(buildP2pControlPacket(0, new Uint8Array(MAX_IP_SIZE - 47)))).toBe("too-large");
  });

  test("a source or destination other than :: is not control traffic", () => {
    const bytes = P2P_GOODBYE.slice();
    bytes[39] = 1;
    expect(isP2pControl(ok(parseIpPacket(bytes)))).toBe(false);
  });

  test("build then parse round-trips any event type and body", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 1232 }),
        (type, body) => {
          const packet = control(ok(buildP2pControlPacket(type, body)));
          expect(packet.eventType).toBe(type);
          expect(hex(packet.body())).toBe(hex(body));
          expect(hex(packet.bytes.subarray(41, 48))).toBe("00000000000000");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("p2p control events", () => {
  const proxyIps = ["100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4"];

  test("AssignedIps round-trips with connlib's JSON keys", () => {
    const bytes = ok(buildAssignedIps({ resource: RESOURCE, domain: "app.internal", proxyIps }));
    const packet = control(bytes);
    expect(packet.eventType).toBe(P2pEventType.AssignedIps);
    expect(new TextDecoder().decode(packet.body())).toBe(
      `{"resource":"${RESOURCE}","domain":"app.internal","proxy_ips":["100.96.0.1","100.96.0.2","100.96.0.3","100.96.0.4"]}`,
    );
    expect(decodeP2pEvent(packet)).toEqual({
      type: "AssignedIps",
      resource: RESOURCE,
      domain: "app.internal",
      proxyIps,
    });
    const eight = [...proxyIps, "fd00:2021:1111:8000::1", "fd00:2021:1111:8000::2", "::1", "::2"];
    expect(kindOf(buildAssignedIps({ resource: RESOURCE, domain: "x", proxyIps: eight }))).toBe(
      "ok",
    );
  });

  test("AssignedIps needs 4 or 8 valid addresses", () => {
    expect(
      kindOf(buildAssignedIps({ resource: RESOURCE, domain: "x", proxyIps: proxyIps.slice(1) })),
    ).toBe("bad-event");
    expect(
      kindOf(
        buildAssignedIps({
          resource: RESOURCE,
          domain: "x",
          proxyIps: [...proxyIps.slice(1), "nope"],
        }),
      ),
    ).toBe("bad-event");
  });

  test("DomainStatus decodes, and an unknown status reads as Inactive like connlib's serde(other)", () => {
    expect(decodeP2pEvent(control(P2P_DOMAIN_STATUS))).toEqual({
      type: "DomainStatus",
      resource: RESOURCE,
      domain: "example.com",
      status: "Active",
    });
    // The payload of connlib's domain_status_ignored_unknown_nat_status test.
    const body = `{"resource":"${RESOURCE}","domain":"example.com","status":"what_is_this"}`;
    const packet = control(ok(buildP2pControlPacket(1, new TextEncoder().encode(body))));
    expect(decodeP2pEvent(packet)).toEqual({
      type: "DomainStatus",
      resource: RESOURCE,
      domain: "example.com",
      status: "Inactive",
    });
  });

  test("Goodbye and unknown event types", () => {
    expect(decodeP2pEvent(control(P2P_GOODBYE))).toEqual({ type: "Goodbye" });
    expect(decodeP2pEvent(control(ok(buildP2pControlPacket(9, new Uint8Array(3)))))).toEqual({
      type: "Unknown",
      eventType: 9,
    });
  });

  test("a body that is not the JSON its type needs is a bad event, never an exception", () => {
    const bodies = [
      "",
      "{",
      "[]",
      "null",
      '{"resource":1,"domain":"x","status":"Active"}',
      '{"resource":"r","domain":"x"}',
      '{"resource":"r","domain":"x","proxy_ips":["1.2.3"]}',
    ];
    for (const type of [0, 1]) {
      for (const body of bodies) {
        const packet = control(ok(buildP2pControlPacket(type, new TextEncoder().encode(body))));
        expect(kindOf(decodeP2pEvent(packet))).toBe("bad-event");
      }
    }
    const invalidUtf8 = control(ok(buildP2pControlPacket(1, Uint8Array.of(0xff, 0xfe))));
    expect(kindOf(decodeP2pEvent(invalidUtf8))).toBe("bad-event");
  });
});
