/**
 * Interop with a real WireGuard: Debian's wireguard-go in one network namespace, our Device
 * (test/interop-peer.ts, a child `bun` on a real UDP socket) in another, joined by a veth
 * pair. ICMP echoes cross the tunnel both ways, over IPv4 and IPv6, with handshakes started
 * by either side and a rekey forced through our clock. wireguard-go drops anything we get
 * wrong, so every echo reply proves our bytes right.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  addAddress,
  connect,
  NetnsHost,
  startWireguardGo,
  uniqueInterfaceName,
  wgKeyPair,
} from "@fz/netns";
import { defaultRandom, encodeKey, nobleX25519 } from "@fz/wireguard";
import { loadNativeAead, NativeAeadUnavailableError } from "@fz/wireguard/native";

const IS_ROOT = process.getuid?.() === 0;
const MISSING = ["wireguard-go", "wg", "ip", "ping"].filter((tool) => Bun.which(tool) === null);
const SKIP = !IS_ROOT || MISSING.length > 0;
if (SKIP) {
  console.warn(
    `interop.test.ts skipped: ${IS_ROOT ? "" : "needs root; "}${MISSING.length > 0 ? `missing ${MISSING.join(", ")}` : ""}`,
  );
}

const PID = process.pid;
const NS_WG = `fzwg${PID}w`;
const NS_US = `fzwg${PID}u`;
const UNDERLAY_WG = "198.18.77.1";
const UNDERLAY_US = "198.18.77.2";
const INNER_WG4 = "198.19.77.1";
const INNER_US4 = "198.19.77.2";
const INNER_WG6 = "fd00:198:18:77::1";
const INNER_US6 = "fd00:198:18:77::2";
const PORT = 51820;

const NATIVE = loadNativeAead();
const NATIVE_NAME = NATIVE instanceof NativeAeadUnavailableError ? undefined : NATIVE.name;

interface ChildAnswer {
  readonly id?: number;
  readonly ok?: boolean;
  readonly aead?: string;
  readonly stats?: { sessions: number; lastHandshakeAt?: number; hasSession: boolean };
  readonly answered?: number;
  readonly errors?: Record<string, number>;
}

/** The child running our side, spoken to in JSON lines. */
class OurSide {
  readonly #process: ReturnType<typeof Bun.spawn<"pipe", "pipe", "pipe">>;
  readonly #pending = new Map<number, (answer: ChildAnswer) => void>();
  #nextId = 1;
  readonly ready: Promise<void>;
  stderr = "";

  constructor(host: NetnsHost, config: Record<string, unknown>) {
    const child = Bun.spawn(
      [
        "ip",
        "netns",
        "exec",
        host.name,
        process.execPath,
        join(import.meta.dir, "interop-peer.ts"),
        JSON.stringify(config),
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe", cwd: join(import.meta.dir, "..") },
    );
    this.#process = child;
    let onReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      onReady = resolve;
    });
    void this.#read(onReady);
    void (async () => {
      for await (const chunk of child.stderr) this.stderr += new TextDecoder().decode(chunk);
    })();
  }

  async #read(onReady: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of this.#process.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const answer = JSON.parse(line) as ChildAnswer & { ready?: boolean };
        if (answer.ready === true) onReady();
        if (answer.id !== undefined) {
          this.#pending.get(answer.id)?.(answer);
          this.#pending.delete(answer.id);
        }
      }
    }
  }

  ask(command: Record<string, unknown>): Promise<ChildAnswer> {
    const id = this.#nextId++;
    const answer = new Promise<ChildAnswer>((resolve) => this.#pending.set(id, resolve));
    this.#process.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    this.#process.stdin.flush();
    return answer;
  }

  async ping(version: 4 | 6, size = 56): Promise<boolean> {
    return (await this.ask({ cmd: "ping", version, size })).ok === true;
  }

  kill(): void {
    this.#process.kill();
  }

  get exited(): Promise<number> {
    return this.#process.exited;
  }
}

describe.skipIf(SKIP)("interop with wireguard-go", () => {
  let wgHost: NetnsHost | undefined;
  let usHost: NetnsHost | undefined;
  let wireguardGoLog = "";
  let ours: OurSide | undefined;

  const side = (): OurSide => {
    if (ours === undefined) throw new Error("our side did not start");
    return ours;
  };
  const wireguardGoHost = (): NetnsHost => {
    if (wgHost === undefined) throw new Error("wireguard-go's namespace was not made");
    return wgHost;
  };

  /** Pings from the wireguard-go namespace through its tunnel to our side; true on replies. */
  const pingFromWireguardGo = (version: 4 | 6, count = 3, size = 56): boolean => {
    const target = version === 4 ? INNER_US4 : INNER_US6;
    const ping = wireguardGoHost().tryExec([
      "ping",
      `-${version}`,
      "-c",
      String(count),
      "-i",
      "0.2",
      "-W",
      "3",
      "-s",
      String(size),
      target,
    ]);
    return ping.exitCode === 0;
  };

  beforeAll(async () => {
    wgHost = NetnsHost.create(NS_WG);
    usHost = NetnsHost.create(NS_US);
    connect(wgHost, "eth0", usHost, "eth0");
    addAddress(wgHost, "eth0", `${UNDERLAY_WG}/24`);
    addAddress(usHost, "eth0", `${UNDERLAY_US}/24`);

    const wgKeys = wgKeyPair();
    const ourPrivateKey = nobleX25519.generatePrivateKey(defaultRandom);
    const ourPublic = encodeKey(nobleX25519.publicKey(ourPrivateKey));
    await startWireguardGo(wgHost, {
      interfaceName: uniqueInterfaceName(),
      privateKey: wgKeys.privateKey,
      listenPort: PORT,
      addresses: [`${INNER_WG4}/24`, `${INNER_WG6}/64`],
      mtu: 1280,
      peers: [
        {
          publicKey: ourPublic,
          allowedIps: [`${INNER_US4}/32`, `${INNER_US6}/128`],
          endpoint: `${UNDERLAY_US}:${PORT}`,
        },
      ],
      onLog: (text) => {
        wireguardGoLog += text;
      },
    });

    ours = new OurSide(usHost, {
      privateKey: encodeKey(ourPrivateKey),
      peerPublicKey: wgKeys.publicKey,
      listen: { address: UNDERLAY_US, port: PORT },
      peerEndpoint: { address: UNDERLAY_WG, port: PORT },
      inner4: INNER_US4,
      inner6: INNER_US6,
      peerInner4: INNER_WG4,
      peerInner6: INNER_WG6,
    });
    await Promise.race([
      ours.ready,
      Bun.sleep(10_000).then(() => {
        throw new Error(`our side did not start: ${ours?.stderr}`);
      }),
    ]);
  }, 30_000);

  afterAll(async () => {
    ours?.kill();
    await ours?.exited;
    await Promise.all([wgHost?.destroy(), usHost?.destroy()]);
  });

  /** Runs `body`, printing both sides' logs when it fails. */
  const withLogs = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      console.error(`--- wireguard-go log ---\n${wireguardGoLog.slice(-6000)}`);
      console.error(`--- our side's stderr ---\n${ours?.stderr.slice(-4000)}`);
      throw error;
    }
  };

  test(
    "wireguard-go initiates: its pings into the tunnel get our echo replies (IPv4, IPv6)",
    withLogs(async () => {
      expect(pingFromWireguardGo(4)).toBe(true);
      expect(pingFromWireguardGo(6)).toBe(true);
      expect(pingFromWireguardGo(4, 2, 1200)).toBe(true);
      const { stats, answered, errors } = await side().ask({ cmd: "stats" });
      expect(stats?.sessions).toBe(1);
      expect(answered).toBe(8);
      expect(errors).toEqual({});
    }),
    30_000,
  );

  test(
    "we initiate: our pings get wireguard-go's kernel's echo replies (IPv4, IPv6, large)",
    withLogs(async () => {
      await side().ask({ cmd: "reset" });
      expect(await side().ping(4)).toBe(true);
      expect(await side().ping(6)).toBe(true);
      expect(await side().ping(4, 1200)).toBe(true);
      expect(await side().ping(6, 1180)).toBe(true);
      for (let i = 0; i < 20; i++)
        expect(await side().ping(i % 2 === 0 ? 4 : 6, i * 37)).toBe(true);
      const { stats, errors } = await side().ask({ cmd: "stats" });
      expect(stats?.sessions).toBe(1);
      // wireguard-go may still address the keypairs of the device we replaced.
      expect(Object.keys(errors ?? {}).filter((kind) => kind !== "unknown-index")).toEqual([]);
    }),
    30_000,
  );

  test(
    "data flows both ways at once",
    withLogs(async () => {
      const fromThem = wireguardGoHost().spawn(
        ["ping", "-c", "10", "-i", "0.05", "-W", "3", INNER_US4],
        { stdout: "ignore", stderr: "ignore" },
      );
      for (let i = 0; i < 10; i++) expect(await side().ping(6, 100)).toBe(true);
      expect(await fromThem.exited).toBe(0);
      const { errors } = await side().ask({ cmd: "stats" });
      expect(errors).toEqual({});
    }),
    30_000,
  );

  test(
    "a rekey forced through our clock (past 120 s) keeps traffic flowing",
    withLogs(async () => {
      const before = await side().ask({ cmd: "stats" });
      await side().ask({ cmd: "advance", ms: 121_000 });
      expect(await side().ping(4)).toBe(true);
      let after = await side().ask({ cmd: "stats" });
      for (let i = 0; i < 20 && after.stats?.sessions === before.stats?.sessions; i++) {
        await Bun.sleep(50);
        after = await side().ask({ cmd: "stats" });
      }
      expect(after.stats?.sessions).toBe((before.stats?.sessions ?? 0) + 1);
      for (let i = 0; i < 10; i++) expect(await side().ping(i % 2 === 0 ? 4 : 6)).toBe(true);
      expect(pingFromWireguardGo(4)).toBe(true);
      const last = await side().ask({ cmd: "stats" });
      expect(last.stats?.sessions).toBe(after.stats?.sessions ?? -1);
      expect(after.errors).toEqual({});
      expect(last.errors).toEqual({});
    }),
    30_000,
  );

  test.skipIf(NATIVE_NAME === undefined)(
    `with the native AEAD backend (${NATIVE_NAME ?? "none loads"}) both ways`,
    withLogs(async () => {
      expect((await side().ask({ cmd: "reset", aead: "native" })).aead).toBe(NATIVE_NAME ?? "");
      for (let i = 0; i < 10; i++)
        expect(await side().ping(i % 2 === 0 ? 4 : 6, 40 + i * 120)).toBe(true);
      expect(pingFromWireguardGo(4, 3, 1200)).toBe(true);
      expect(pingFromWireguardGo(6, 3, 1100)).toBe(true);
      const { errors } = await side().ask({ cmd: "stats" });
      expect(Object.keys(errors ?? {}).filter((kind) => kind !== "unknown-index")).toEqual([]);
    }),
    30_000,
  );
});
