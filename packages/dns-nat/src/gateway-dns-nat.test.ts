import { describe, expect, test } from "bun:test";
import { GatewayDnsNat, MAX_PENDING_LOOKUPS, RESOLVE_TIMEOUT_MS } from "@fz/dns-nat";
import { formatIpAddress, type IpAddress } from "@fz/ip-packet";
import {
  answerLookups,
  CLIENT,
  CLIENT_V4,
  DOMAIN,
  OTHER_CLIENT,
  PROXY_IPS,
  PROXY_V4,
  PROXY_V6,
  RESOURCE,
  setUp,
  udp,
  v4,
  v6,
} from "./nat-test-packets.ts";

function drain<T>(poll: () => T | undefined): T[] {
  const out: T[] = [];
  for (let item = poll(); item !== undefined; item = poll()) out.push(item);
  return out;
}

const assigned = { resource: RESOURCE, domain: DOMAIN, proxyIps: PROXY_IPS };

/** The real IP each proxy IP maps to, as text ("-" for none). */
function mapped(nat: GatewayDnsNat, proxies: readonly string[], client = CLIENT): string[] {
  return proxies.map((proxy) => {
    const address: IpAddress = proxy.includes(":") ? v6(proxy) : v4(proxy);
    const realIp = nat.mappingOf(client, address)?.realIp;
    return realIp === undefined ? "-" : formatIpAddress(realIp);
  });
}

describe("set-up from AssignedIps", () => {
  test("looks A and AAAA up separately and answers Active with the client's own spelling", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, { ...assigned, domain: "App.Internal." }, true, 0);
    const requests = drain(() => nat.pollResolve());
    expect(requests.map(({ name, family }) => ({ name, family }))).toEqual([
      { name: "app.internal", family: 4 },
      { name: "app.internal", family: 6 },
    ]);
    expect(nat.pollDomainStatus()).toBeUndefined();
    const [a, aaaa] = requests;
    nat.handleResolved(a?.id ?? -1, [v4("10.0.0.1")], 5);
    expect(nat.pollDomainStatus()).toBeUndefined();
    nat.handleResolved(aaaa?.id ?? -1, [v6("2001:db8::1")], 6);
    expect(drain(() => nat.pollDomainStatus())).toEqual([
      { client: CLIENT, resource: RESOURCE, domain: "App.Internal.", status: "Active" },
    ]);
    expect(mapped(nat, PROXY_IPS)).toEqual([
      ...PROXY_V4.map(() => "10.0.0.1"),
      ...PROXY_V6.map(() => "2001:db8::1"),
    ]);
    expect(nat.mappingOf(CLIENT, v4(PROXY_V4[0] ?? ""))?.resource).toBe(RESOURCE);
  });

  test("a client not allowed the resource gets Inactive at once, and nothing is looked up", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, false, 0);
    expect(drain(() => nat.pollResolve())).toEqual([]);
    expect(drain(() => nat.pollDomainStatus())).toEqual([
      { client: CLIENT, resource: RESOURCE, domain: DOMAIN, status: "Inactive" },
    ]);
    expect(nat.counters().notAllowed).toBe(1);
    expect(nat.mappingOf(CLIENT, v4(PROXY_V4[0] ?? ""))).toBeUndefined();
  });

  test("Active when only one family has addresses; Inactive when neither has", () => {
    const onlyA = new GatewayDnsNat();
    expect(setUp(onlyA, [v4("10.0.0.1")])).toBe("Active");
    expect(mapped(onlyA, PROXY_V6)).toEqual(["-", "-", "-", "-"]);
    const onlyAaaa = new GatewayDnsNat();
    expect(setUp(onlyAaaa, [v6("2001:db8::7")])).toBe("Active");
    expect(mapped(onlyAaaa, PROXY_V4)).toEqual(["-", "-", "-", "-"]);
    const none = new GatewayDnsNat();
    expect(setUp(none, [])).toBe("Inactive");
  });

  test("a failed lookup counts as no addresses", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 0);
    const [a, aaaa] = drain(() => nat.pollResolve());
    nat.handleResolved(a?.id ?? -1, "failed", 1);
    nat.handleResolved(aaaa?.id ?? -1, [v6("2001:db8::1")], 1);
    expect(nat.pollDomainStatus()?.status).toBe("Active");
    nat.handleAssignedIps(CLIENT, assigned, true, 2);
    for (const request of drain(() => nat.pollResolve()))
      nat.handleResolved(request.id, "failed", 3);
    expect(nat.pollDomainStatus()?.status).toBe("Inactive");
    expect(nat.counters().lookupsFailed).toBe(3);
  });

  test("answers of the wrong family are ignored", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 0);
    for (const request of drain(() => nat.pollResolve())) {
      nat.handleResolved(
        request.id,
        request.family === 4 ? [v6("2001:db8::1")] : [v4("10.0.0.1")],
        1,
      );
    }
    expect(nat.pollDomainStatus()?.status).toBe("Inactive");
  });

  test("each lookup times out after 10 s as no addresses; a late answer changes nothing", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 1000);
    const [a, aaaa] = drain(() => nat.pollResolve());
    expect(nat.pollTimeout()).toBe(1000 + RESOLVE_TIMEOUT_MS);
    nat.handleResolved(a?.id ?? -1, [v4("10.0.0.1")], 2000);
    nat.handleTimeout(1000 + RESOLVE_TIMEOUT_MS - 1);
    expect(nat.pollDomainStatus()).toBeUndefined();
    nat.handleTimeout(1000 + RESOLVE_TIMEOUT_MS);
    expect(nat.pollDomainStatus()?.status).toBe("Active");
    expect(mapped(nat, PROXY_V6)).toEqual(["-", "-", "-", "-"]);
    expect(nat.pollTimeout()).toBeUndefined();
    nat.handleResolved(aaaa?.id ?? -1, [v6("2001:db8::1")], 12_000);
    expect(nat.pollDomainStatus()).toBeUndefined();
    expect(mapped(nat, PROXY_V6)).toEqual(["-", "-", "-", "-"]);
    const counters = nat.counters();
    expect(counters.lookupsTimedOut).toBe(1);
    expect(counters.lateAnswers).toBe(1);
  });

  test("both lookups timing out gives Inactive", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 0);
    expect(drain(() => nat.pollResolve())).toHaveLength(2);
    nat.handleTimeout(RESOLVE_TIMEOUT_MS);
    expect(drain(() => nat.pollDomainStatus()).map((status) => status.status)).toEqual([
      "Inactive",
    ]);
  });
});

describe("deduplication", () => {
  test("a repeated AssignedIps while its set-up runs joins it: one pair of lookups, one reply", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 0);
    nat.handleAssignedIps(CLIENT, assigned, true, 100);
    const requests = drain(() => nat.pollResolve());
    expect(requests).toHaveLength(2);
    for (const request of requests) nat.handleResolved(request.id, [v4("10.0.0.1")], 200);
    expect(drain(() => nat.pollDomainStatus())).toEqual([
      { client: CLIENT, resource: RESOURCE, domain: DOMAIN, status: "Active" },
    ]);
    expect(nat.counters().setupsJoined).toBe(1);
  });

  test("lookups of a name in flight are shared by every client that needs them", () => {
    const nat = new GatewayDnsNat();
    nat.handleAssignedIps(CLIENT, assigned, true, 0);
    nat.handleAssignedIps(OTHER_CLIENT, { ...assigned, domain: "APP.internal" }, true, 1);
    const requests = drain(() => nat.pollResolve());
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      nat.handleResolved(request.id, request.family === 4 ? [v4("10.0.0.9")] : [], 2);
    }
    const replies = drain(() => nat.pollDomainStatus());
    expect(replies.map((reply) => [reply.client, reply.domain, reply.status])).toEqual([
      [CLIENT, DOMAIN, "Active"],
      [OTHER_CLIENT, "APP.internal", "Active"],
    ]);
    expect(mapped(nat, PROXY_V4, OTHER_CLIENT)).toEqual(PROXY_V4.map(() => "10.0.0.9"));
  });

  test(`at most ${MAX_PENDING_LOOKUPS} lookups in flight; the next AssignedIps is answered Inactive`, () => {
    const nat = new GatewayDnsNat();
    for (let i = 0; i < MAX_PENDING_LOOKUPS / 2; i++) {
      nat.handleAssignedIps(CLIENT, { ...assigned, domain: `n${i}.internal` }, true, 0);
    }
    expect(drain(() => nat.pollResolve())).toHaveLength(MAX_PENDING_LOOKUPS);
    nat.handleAssignedIps(CLIENT, { ...assigned, domain: "one-more.internal" }, true, 0);
    expect(drain(() => nat.pollResolve())).toEqual([]);
    expect(drain(() => nat.pollDomainStatus())).toEqual([
      { client: CLIENT, resource: RESOURCE, domain: "one-more.internal", status: "Inactive" },
    ]);
    // A name already being looked up needs no new lookup, so it is still accepted.
    nat.handleAssignedIps(OTHER_CLIENT, { ...assigned, domain: "n0.internal" }, true, 0);
    expect(nat.counters().setupsRefused).toBe(1);
    nat.handleTimeout(RESOLVE_TIMEOUT_MS);
    const replies = drain(() => nat.pollDomainStatus());
    expect(replies).toHaveLength(MAX_PENDING_LOOKUPS / 2 + 1);
  });
});

describe("mapping", () => {
  test("proxy IPs map round-robin onto the records of their family, in address order", () => {
    const records = [
      v4("10.0.0.3"),
      v6("2001:db8::b"),
      v4("10.0.0.1"),
      v6("2001:db8::a"),
      v4("10.0.0.2"),
    ];
    const nat = new GatewayDnsNat();
    expect(setUp(nat, records)).toBe("Active");
    expect(mapped(nat, PROXY_IPS)).toEqual([
      "10.0.0.1",
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.1",
      "2001:db8::a",
      "2001:db8::b",
      "2001:db8::a",
      "2001:db8::b",
    ]);
    // The same records in another order (round-robin DNS) give the same mapping.
    const again = new GatewayDnsNat();
    setUp(again, [...records].reverse());
    expect(mapped(again, PROXY_IPS)).toEqual(mapped(nat, PROXY_IPS));
    // So does a client listing its proxy IPs in another order.
    const reordered = new GatewayDnsNat();
    setUp(reordered, records, { proxyIps: [...PROXY_IPS].reverse() });
    expect(mapped(reordered, PROXY_IPS)).toEqual(mapped(nat, PROXY_IPS));
  });

  test("proxy IPs outside the proxy ranges are ignored; none valid is Inactive at once", () => {
    const nat = new GatewayDnsNat();
    expect(setUp(nat, [v4("10.0.0.1")], { proxyIps: ["100.96.0.1", "10.1.1.1", "nonsense"] })).toBe(
      "Active",
    );
    expect(nat.mappingOf(CLIENT, v4("10.1.1.1"))).toBeUndefined();
    expect(mapped(nat, ["100.96.0.1"])).toEqual(["10.0.0.1"]);
    nat.handleAssignedIps(CLIENT, { ...assigned, proxyIps: ["192.168.0.1"] }, true, 0);
    expect(drain(() => nat.pollResolve())).toEqual([]);
    expect(nat.pollDomainStatus()?.status).toBe("Inactive");
  });

  test("a re-sent AssignedIps looks the name up again and replaces the mapping", () => {
    const nat = new GatewayDnsNat();
    setUp(nat, [v4("10.0.0.1")]);
    expect(setUp(nat, [v4("10.0.0.2")], { now: 5000 })).toBe("Active");
    expect(mapped(nat, PROXY_V4)).toEqual(PROXY_V4.map(() => "10.0.0.2"));
  });

  test("proxy IPs that come back for another name reset the client's NAT (it renumbered)", () => {
    const nat = new GatewayDnsNat();
    setUp(nat, [v4("10.0.0.1")]);
    setUp(nat, [v4("10.0.0.1")], { client: OTHER_CLIENT });
    const packet = udp(CLIENT_V4, v4(PROXY_V4[0] ?? ""), 5000, 53);
    expect(nat.translateOutbound(CLIENT, packet, 10).kind).toBe("translated");
    expect(nat.flowCount).toBe(1);
    expect(
      setUp(nat, [v4("10.0.0.5")], { domain: "other.internal", proxyIps: PROXY_V4, now: 20 }),
    ).toBe("Active");
    expect(nat.flowCount).toBe(0);
    expect(nat.mappingOf(CLIENT, v4(PROXY_V4[0] ?? ""))?.domain).toBe("other.internal");
    expect(nat.mappingOf(CLIENT, v6(PROXY_V6[0] ?? ""))).toBeUndefined();
    expect(nat.mappingOf(OTHER_CLIENT, v4(PROXY_V4[0] ?? ""))?.domain).toBe(DOMAIN);
    expect(nat.counters().clientResets).toBe(1);
  });
});

describe("forgetting", () => {
  test("a removed client loses its mappings, flows, set-ups and unsent replies", () => {
    const nat = new GatewayDnsNat();
    setUp(nat, [v4("10.0.0.1")]);
    setUp(nat, [v4("10.0.0.1")], { client: OTHER_CLIENT });
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, v4("100.96.0.1"), 5000, 53), 0);
    nat.handleAssignedIps(CLIENT, { ...assigned, domain: "b.internal" }, true, 0);
    nat.handleAssignedIps(CLIENT, { ...assigned, domain: "c.internal" }, false, 0);
    nat.forgetClient(CLIENT);
    expect(nat.flowCount).toBe(0);
    expect(nat.pollDomainStatus()).toBeUndefined();
    answerLookups(nat, [v4("10.0.0.2")], 1);
    expect(nat.pollDomainStatus()).toBeUndefined();
    const result = nat.translateOutbound(CLIENT, udp(CLIENT_V4, v4("100.96.0.1"), 5000, 53), 2);
    expect(result.kind === "unreachable" && result.reason).toBe("no-mapping");
    expect(mapped(nat, ["100.96.0.1"], OTHER_CLIENT)).toEqual(["10.0.0.1"]);
  });

  test("forgetting a resource removes its mappings and flows and keeps the others", () => {
    const nat = new GatewayDnsNat();
    setUp(nat, [v4("10.0.0.1")]);
    nat.handleAssignedIps(
      CLIENT,
      { resource: "res-other", domain: "db.internal", proxyIps: ["100.96.0.5"] },
      true,
      0,
    );
    answerLookups(nat, [v4("10.0.0.9")], 0);
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, v4("100.96.0.1"), 5000, 53), 0);
    nat.translateOutbound(CLIENT, udp(CLIENT_V4, v4("100.96.0.5"), 5000, 53), 0);
    expect(nat.flowCount).toBe(2);
    nat.forgetResource(CLIENT, RESOURCE);
    expect(nat.flowCount).toBe(1);
    expect(nat.mappingOf(CLIENT, v4("100.96.0.1"))).toBeUndefined();
    expect(nat.mappingOf(CLIENT, v4("100.96.0.5"))?.resource).toBe("res-other");
    expect(nat.counters().flowsForgotten).toBe(1);
  });
});
