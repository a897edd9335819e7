import { afterAll, expect, test } from "bun:test";
import { nodeNameResolver } from "@fz/gateway";
import { formatHostPort } from "@fz/tunnel/config";

/**
 * A DNS server on 127.0.0.1 that answers by name: `a.test` has one A and one AAAA record,
 * `nx.test` is NXDOMAIN, `empty.test` has no records (NODATA), `broken.test` is SERVFAIL.
 */
const server = await Bun.udpSocket({
  hostname: "127.0.0.1",
  socket: {
    data(socket, query, port, address) {
      socket.send(answer(query), port, address);
    },
  },
});
afterAll(() => server.close());

function answer(query: Uint8Array): Uint8Array {
  let end = 12;
  const labels: string[] = [];
  while ((query[end] ?? 0) !== 0) {
    const length = query[end] ?? 0;
    labels.push(new TextDecoder().decode(query.subarray(end + 1, end + 1 + length)));
    end += 1 + length;
  }
  const qtype = ((query[end + 1] ?? 0) << 8) | (query[end + 2] ?? 0);
  const question = query.subarray(12, end + 5);
  const name = labels.join(".");
  const rcode = name === "nx.test" ? 3 : name === "broken.test" ? 2 : 0;
  const rdata =
    name !== "a.test"
      ? undefined
      : qtype === 1
        ? [198, 19, 0, 2]
        : qtype === 28
          ? [0xfd, 0, 1, 0x98, 0, 0x19, ...new Array<number>(9).fill(0), 2]
          : undefined;
  const header = [
    query[0] ?? 0,
    query[1] ?? 0,
    0x81,
    0x80 | rcode,
    0,
    1,
    0,
    rdata ? 1 : 0,
    0,
    0,
    0,
    0,
  ];
  const record =
    rdata === undefined ? [] : [0xc0, 12, 0, qtype, 0, 1, 0, 0, 0, 60, 0, rdata.length, ...rdata];
  return Uint8Array.from([...header, ...question, ...record]);
}

const resolve = nodeNameResolver({ address: "127.0.0.1", port: server.port });

test("addresses come back parsed, of the asked family", async () => {
  expect(await resolve("a.test", 4)).toEqual([0xc6130002]);
  expect(await resolve("a.test", 6)).toEqual([
    Uint8Array.from([0xfd, 0, 1, 0x98, 0, 0x19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
  ]);
});

test("NXDOMAIN and NODATA are no addresses; SERVFAIL is a failure", async () => {
  expect(await resolve("nx.test", 4)).toEqual([]);
  expect(await resolve("empty.test", 6)).toEqual([]);
  expect(await resolve("broken.test", 4)).toBe("failed");
});

test("servers are written as Resolver.setServers takes them", () => {
  expect(formatHostPort({ address: "198.19.0.53", port: 53 })).toBe("198.19.0.53:53");
  expect(formatHostPort({ address: "fd00:198:19::53", port: 5353 })).toBe("[fd00:198:19::53]:5353");
});
