import { describe, expect, test } from "bun:test";
import {
  ASSIGNED_IPS_RESEND_MS,
  ClientDnsResourceNat,
  type NatKey,
  PENDING_BUFFER_PACKETS,
  ProxyIpAllocator,
} from "@fz/dns-nat";

const key: NatKey = { gateway: "gw-1", domain: "app.internal", resource: "r-app" };
const proxyIps = new ProxyIpAllocator().assign("app.internal") ?? fail();

function fail(): never {
  throw new Error("no proxy IPs");
}

function drain<T>(poll: () => T | undefined): T[] {
  const out: T[] = [];
  for (let item = poll(); item !== undefined; item = poll()) out.push(item);
  return out;
}

function confirmed(now = 0): ClientDnsResourceNat<number> {
  const nat = new ClientDnsResourceNat<number>();
  nat.handlePacket(key, proxyIps, 0, now);
  nat.handleDomainStatus(key, true, now);
  drain(() => nat.pollAssignedIps());
  drain(() => nat.pollFlushed());
  return nat;
}

describe("first use", () => {
  test("the first packet sends AssignedIps and waits; confirmation releases the buffer in order", () => {
    const nat = new ClientDnsResourceNat<number>();
    expect(nat.handlePacket(key, proxyIps, 1, 0)).toBe("buffered");
    expect(nat.handlePacket(key, proxyIps, 2, 10)).toBe("buffered");
    expect(drain(() => nat.pollAssignedIps())).toEqual([{ key, proxyIps }]);
    expect(nat.state(key)).toBe("pending");
    nat.handleDomainStatus(key, true, 20);
    expect(drain(() => nat.pollFlushed()).map((item) => item.packet)).toEqual([1, 2]);
    expect(nat.state(key)).toBe("confirmed");
    expect(nat.handlePacket(key, proxyIps, 3, 30)).toBe("send");
  });

  test(`buffers at most ${PENDING_BUFFER_PACKETS} packets and counts the rest as dropped`, () => {
    const nat = new ClientDnsResourceNat<number>();
    const verdicts = Array.from({ length: 40 }, (_, i) => nat.handlePacket(key, proxyIps, i, i));
    expect(verdicts.filter((v) => v === "buffered")).toHaveLength(PENDING_BUFFER_PACKETS);
    expect(verdicts.slice(PENDING_BUFFER_PACKETS).every((v) => v === "dropped")).toBe(true);
    expect(nat.buffered(key)).toBe(PENDING_BUFFER_PACKETS);
    expect(nat.bufferedTotal).toBe(PENDING_BUFFER_PACKETS);
    expect(nat.dropped).toBe(40 - PENDING_BUFFER_PACKETS);
    nat.handleDomainStatus(key, true, 50);
    expect(drain(() => nat.pollFlushed()).map((item) => item.packet)).toEqual(
      Array.from({ length: PENDING_BUFFER_PACKETS }, (_, i) => i),
    );
  });

  test("AssignedIps goes out again on the next packet or query once 2 s have passed, not before", () => {
    const nat = new ClientDnsResourceNat<number>();
    nat.handlePacket(key, proxyIps, 1, 0);
    nat.handlePacket(key, proxyIps, 2, ASSIGNED_IPS_RESEND_MS - 1);
    nat.handleQuery(key, proxyIps, ASSIGNED_IPS_RESEND_MS - 1);
    expect(drain(() => nat.pollAssignedIps())).toHaveLength(1);
    nat.handlePacket(key, proxyIps, 3, ASSIGNED_IPS_RESEND_MS);
    expect(drain(() => nat.pollAssignedIps())).toHaveLength(1);
    nat.handleQuery(key, proxyIps, 2 * ASSIGNED_IPS_RESEND_MS);
    expect(drain(() => nat.pollAssignedIps())).toHaveLength(1);
  });

  test("Inactive fails the NAT: waiting packets and later ones get ICMP unreachable; a query retries", () => {
    const nat = new ClientDnsResourceNat<number>();
    nat.handlePacket(key, proxyIps, 1, 0);
    nat.handlePacket(key, proxyIps, 2, 1);
    nat.handleDomainStatus(key, false, 5);
    expect(nat.state(key)).toBe("failed");
    expect(drain(() => nat.pollUnreachable())).toEqual([1, 2]);
    expect(nat.handlePacket(key, proxyIps, 3, 6)).toBe("unreachable");
    drain(() => nat.pollAssignedIps());
    nat.handleQuery(key, proxyIps, 7);
    expect(nat.state(key)).toBe("pending");
    expect(drain(() => nat.pollAssignedIps())).toEqual([{ key, proxyIps }]);
    expect(nat.handlePacket(key, proxyIps, 4, 8)).toBe("buffered");
  });
});

describe("re-query while busy (Firezone #8935)", () => {
  test("a busy confirmed flow keeps flowing through a re-query: AssignedIps again, nothing buffered or dropped", () => {
    const nat = confirmed();
    const bufferedBefore = nat.bufferedTotal;
    let sent = 0;
    for (let t = 0; t < 1000; t++) {
      if (t === 300) nat.handleQuery(key, proxyIps, t);
      expect(nat.handlePacket(key, proxyIps, t, t)).toBe("send");
      sent++;
      if (t === 320) nat.handleDomainStatus(key, true, t);
    }
    expect(sent).toBe(1000);
    expect(nat.bufferedTotal).toBe(bufferedBefore);
    expect(nat.buffered(key)).toBe(0);
    expect(nat.dropped).toBe(0);
    expect(drain(() => nat.pollFlushed())).toEqual([]);
    expect(drain(() => nat.pollAssignedIps())).toEqual([{ key, proxyIps }]);
    expect(nat.state(key)).toBe("confirmed");
  });

  test("while recreating, AssignedIps is repeated after 2 s without holding packets", () => {
    const nat = confirmed();
    nat.handleQuery(key, proxyIps, 0);
    expect(nat.state(key)).toBe("recreating");
    expect(nat.handlePacket(key, proxyIps, 1, ASSIGNED_IPS_RESEND_MS)).toBe("send");
    expect(drain(() => nat.pollAssignedIps())).toHaveLength(2);
  });

  test("records that changed: the gateway's answer to a re-query keeps the NAT confirmed", () => {
    const nat = confirmed();
    nat.handleQuery(key, proxyIps, 10);
    nat.handleDomainStatus(key, true, 11);
    expect(nat.state(key)).toBe("confirmed");
    nat.handleQuery(key, proxyIps, 20);
    nat.handleDomainStatus(key, false, 21);
    expect(nat.state(key)).toBe("failed");
  });
});

test("a query for a name never used sets nothing up; forgetting a gateway drops its NATs", () => {
  const nat = new ClientDnsResourceNat<number>();
  nat.handleQuery(key, proxyIps, 0);
  expect(nat.state(key)).toBeUndefined();
  expect(nat.pollAssignedIps()).toBeUndefined();
  nat.handlePacket(key, proxyIps, 1, 0);
  nat.handlePacket({ ...key, gateway: "gw-2" }, proxyIps, 1, 0);
  nat.forgetGateway("gw-1");
  expect(nat.state(key)).toBeUndefined();
  expect(nat.state({ ...key, gateway: "gw-2" })).toBe("pending");
});

describe("keeping packets", () => {
  test("`keep` copies a packet only when it waits, never on a live NAT", () => {
    const nat = new ClientDnsResourceNat<number[]>();
    const kept: number[][] = [];
    const keep = (packet: number[]) => {
      const copy = [...packet];
      kept.push(copy);
      return copy;
    };
    const first = [1];
    expect(nat.handlePacket(key, proxyIps, first, 0, keep)).toBe("buffered");
    expect(nat.handlePacket(key, proxyIps, [2], 1, keep)).toBe("buffered");
    expect(kept).toEqual([[1], [2]]);
    first[0] = 99; // the caller reuses its buffer
    nat.handleDomainStatus(key, true, 2);
    expect(drain(() => nat.pollFlushed()).map((f) => f.packet)).toEqual([[1], [2]]);
    expect(nat.handlePacket(key, proxyIps, [3], 3, keep)).toBe("send");
    expect(kept).toHaveLength(2);
  });
});
