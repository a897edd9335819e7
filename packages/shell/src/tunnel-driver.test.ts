import { afterEach, describe, expect, test } from "bun:test";
import { BufferPool } from "@fz/bufferpool";
import { Logger } from "@fz/log";
import {
  type NameResolver,
  openBunUdp,
  type ResolvedAddresses,
  type TunnelCore,
  TunnelDriver,
  type UdpTransport,
} from "@fz/shell";
import type { DnsQuery, ResolveRequest, Upstream } from "@fz/tunnel";

/**
 * A core that only does DNS: it asks for whatever the test queues, records what comes back,
 * and wants a timeout 5 ms after each answer (so the driver must re-arm its timer).
 */
class DnsOnlyCore implements TunnelCore {
  readonly queries: DnsQuery[] = [];
  readonly requests: ResolveRequest[] = [];
  readonly responses: { upstream: Upstream; bytes: number[] }[] = [];
  readonly resolved: { id: number; addresses: ResolvedAddresses }[] = [];
  timeouts = 0;
  #deadline: number | undefined;

  handleTunPacket() {
    return { kind: "none" } as const;
  }
  handleDatagram() {
    return { kind: "none" } as const;
  }
  handleTimeout(now: number): void {
    if (this.#deadline !== undefined && now >= this.#deadline) {
      this.#deadline = undefined;
      this.timeouts++;
    }
  }
  pollTimeout(): number | undefined {
    return this.#deadline;
  }
  pollTransmit() {
    return undefined;
  }
  pollEvent() {
    return undefined;
  }
  stats(): object {
    return {};
  }
  pollDnsQuery(): DnsQuery | undefined {
    return this.queries.shift();
  }
  handleDnsResponse(upstream: Upstream, response: Uint8Array, now: number): void {
    this.responses.push({ upstream, bytes: [...response] });
    // An answer can make the core forward again (a retry to the next upstream, say).
    if (response[0] === 1) this.queries.push({ upstream, query: Uint8Array.of(2) });
    this.#deadline = now + 5;
  }
  pollResolve(): ResolveRequest | undefined {
    return this.requests.shift();
  }
  handleResolved(id: number, addresses: ResolvedAddresses, now: number): void {
    this.resolved.push({ id, addresses });
    this.#deadline = now + 5;
  }
}

const silent = new Logger({ level: "ERROR", sinks: [] });
const idleSource = () => {
  let close = () => {};
  const closed = new Promise<number>((resolve) => {
    close = () => resolve(0);
  });
  return { read: () => closed, close: () => close() };
};
const noUdp: UdpTransport = { port: 0, queue() {}, flush() {}, close() {} };

const running: { driver: TunnelDriver; sockets: { close(): void }[] }[] = [];
afterEach(async () => {
  for (const { driver, sockets } of running.splice(0)) {
    await driver.stop();
    for (const socket of sockets) socket.close();
  }
});

function driverFor(core: DnsOnlyCore, resolve?: NameResolver): TunnelDriver {
  const driver = new TunnelDriver({
    core,
    pool: BufferPool.create({ slotCount: 8 }),
    source: idleSource(),
    tun: { write: () => true },
    logger: silent,
    resolve,
  });
  running.push({ driver, sockets: [] });
  return driver;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await Bun.sleep(5);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe("forwarded DNS queries", () => {
  test("go to the upstream from the DNS socket, whose answers come back with the sender's address", async () => {
    const received: number[][] = [];
    const upstream = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: {
        data(socket, data, port, address) {
          received.push([...data]);
          socket.send(Uint8Array.of(data[0] ?? 0, 0xaa), port, address);
        },
      },
    });
    const core = new DnsOnlyCore();
    const driver = driverFor(core);
    const dnsUdp = await openBunUdp(0, (response, from) =>
      driver.handleDnsResponse(response, from),
    );
    running.at(-1)?.sockets.push(upstream, dnsUdp);
    expect(driver.forwardsDns).toBe(true);
    const to = { address: "127.0.0.1", port: upstream.port };
    core.queries.push({ upstream: to, query: Uint8Array.of(1) });
    driver.start(noUdp, dnsUdp);

    // The answer to query 1 makes the core send query 2, which the driver drains at once.
    await until(() => core.responses.length === 2, "two responses");
    expect(received).toEqual([[1], [2]]);
    expect(core.responses).toEqual([
      { upstream: to, bytes: [1, 0xaa] },
      { upstream: to, bytes: [2, 0xaa] },
    ]);
    expect(driver.stats()).toMatchObject({ dnsQueries: 2, dnsResponses: 2 });
    await until(() => core.timeouts === 1, "the timer re-armed after the response");
  });
});

describe("name lookups", () => {
  test("run with the resolver; answers and failures reach the core, and the timer re-arms", async () => {
    const core = new DnsOnlyCore();
    const asked: string[] = [];
    const driver = driverFor(core, async (name, family) => {
      asked.push(`${name}/${family}`);
      await Bun.sleep(1);
      if (name === "broken.internal") throw new Error("resolver exploded");
      return family === 4 ? [0xc6130002] : [];
    });
    core.requests.push(
      { id: 1, name: "app.internal", family: 4 },
      { id: 2, name: "app.internal", family: 6 },
      { id: 3, name: "broken.internal", family: 4 },
    );
    driver.start(noUdp);
    await until(() => core.resolved.length === 3, "three lookups");
    expect(asked).toEqual(["app.internal/4", "app.internal/6", "broken.internal/4"]);
    expect(core.resolved.sort((a, b) => a.id - b.id)).toEqual([
      { id: 1, addresses: [0xc6130002] },
      { id: 2, addresses: [] },
      { id: 3, addresses: "failed" },
    ]);
    expect(driver.stats()).toMatchObject({ lookups: 3, lookupFailures: 1 });
    await until(() => core.timeouts === 1, "the timer re-armed after the answers");
  });

  test("without a resolver every lookup fails, so the core can answer its client", async () => {
    const core = new DnsOnlyCore();
    const driver = driverFor(core);
    core.requests.push({ id: 7, name: "app.internal", family: 4 });
    driver.start(noUdp);
    await until(() => core.resolved.length === 1, "the failed lookup");
    expect(core.resolved).toEqual([{ id: 7, addresses: "failed" }]);
  });
});
