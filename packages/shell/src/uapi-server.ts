import { linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@fz/log";
import {
  formatUapiDevice,
  formatUapiErrno,
  takeUapiRequest,
  type UapiDevice,
  UapiErrno,
} from "@fz/wireguard/uapi";
import type { Socket, UnixSocketListener } from "bun";

/** Requests bigger than this are not a `get` or `set` we would answer: the client is dropped. */
const MAX_REQUEST_BYTES = 64 * 1024;

export interface UapiServerOptions {
  /** The directory of the socket; `wg` reads `/var/run/wireguard`. */
  readonly dir: string;
  /** The TUN interface's name: the socket is `<dir>/<name>.sock`, as `wg show <name>` expects. */
  readonly interfaceName: string;
  /** Builds the answer to `get=1` at the moment it is asked. */
  readonly device: () => Promise<UapiDevice>;
  readonly logger: Logger;
}

interface Connection {
  received: string;
  /** Bytes of answers not yet taken by the socket, oldest first. */
  readonly pending: Uint8Array[];
  busy: boolean;
}

/**
 * Answers WireGuard's userspace API on `<dir>/<interface>.sock`, as wireguard-go does, so that
 * `wg show` and `firezone status` can read the peers, handshakes and transfer counts of a
 * running tunnel. `set` is refused (EPERM): the config file is where settings live. The socket
 * is for its owner alone (umask 077), since the answer carries the private key as wg expects.
 * A client gets its next answer only once the last one has left: one that asks without reading
 * costs at most one answer of memory.
 */
export class UapiServer {
  readonly path: string;
  readonly #listener: UnixSocketListener<Connection>;
  /** The socket file we made (inode and change time), so `close` never removes another's. */
  readonly #identity: string;

  private constructor(path: string, listener: UnixSocketListener<Connection>) {
    this.path = path;
    this.#listener = listener;
    this.#identity = identityOf(path);
  }

  /**
   * Listens on the socket. A file already there is probed only when listening fails: a live
   * process answering there (the same interface name in another network namespace) keeps it,
   * the tunnel runs on without a status socket and says how to give it one; a stale file from a
   * tunnel that died is replaced.
   */
  static async start(options: UapiServerOptions): Promise<UapiServer | undefined> {
    const path = join(options.dir, `${options.interfaceName}.sock`);
    mkdirSync(options.dir, { recursive: true, mode: 0o755 });
    const first = listen(path, options);
    if (first !== undefined) return new UapiServer(path, first);
    if (await answers(path)) {
      options.logger.warn(
        "status socket in use by another process; not serving it (set socket_dir or tun_name to give this tunnel its own)",
        { path },
      );
      return undefined;
    }
    rmSync(path, { force: true });
    const second = listen(path, options);
    if (second === undefined) throw new Error(`cannot listen on ${path}`);
    return new UapiServer(path, second);
  }

  /** Stops listening and removes the socket file, if it is still the one this server made. */
  close(): void {
    let ours = false;
    try {
      ours = identityOf(this.path) === this.#identity;
    } catch {
      // Already gone.
    }
    if (ours) {
      this.#listener.stop(true);
      rmSync(this.path, { force: true });
      return;
    }
    // Bun unlinks the listening path on stop, whoever's file it is now: keep the other one's.
    const kept = `${this.path}.${process.pid}.kept`;
    try {
      linkSync(this.path, kept);
    } catch {
      this.#listener.stop(true);
      return;
    }
    this.#listener.stop(true);
    renameSync(kept, this.path);
  }
}

/** Inode numbers are reused at once on tmpfs; with the change time they name one file. */
function identityOf(path: string): string {
  const stat = statSync(path, { bigint: true });
  return `${stat.ino}:${stat.ctimeNs}`;
}

/** Listens on `path`; undefined when something is in the way (EADDRINUSE). */
function listen(
  path: string,
  options: UapiServerOptions,
): UnixSocketListener<Connection> | undefined {
  const previousMask = process.umask(0o077);
  try {
    return Bun.listen<Connection>({
      unix: path,
      socket: {
        open(socket) {
          socket.data = { received: "", pending: [], busy: false };
        },
        data(socket, bytes) {
          socket.data.received += new TextDecoder().decode(bytes);
          if (socket.data.received.length > MAX_REQUEST_BYTES) {
            socket.end();
            return;
          }
          void serve(socket, options);
        },
        drain(socket) {
          if (flush(socket)) void serve(socket, options);
        },
      },
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EADDRINUSE") return undefined;
    throw error;
  } finally {
    process.umask(previousMask);
  }
}

/** Answers whole requests in order, each only after the previous answer has left. */
async function serve(socket: Socket<Connection>, options: UapiServerOptions): Promise<void> {
  const connection = socket.data;
  if (connection.busy) return;
  connection.busy = true;
  try {
    for (let taken = takeUapiRequest(connection.received); taken; ) {
      if (connection.pending.length > 0) return;
      connection.received = taken.rest;
      const { request } = taken;
      if ("kind" in request) {
        send(socket, formatUapiErrno(UapiErrno.protocol));
        socket.end();
        return;
      }
      send(
        socket,
        request.operation === "get"
          ? formatUapiDevice(await options.device())
          : formatUapiErrno(UapiErrno.notPermitted),
      );
      taken = takeUapiRequest(connection.received);
    }
  } catch (error) {
    options.logger.warn("status request failed", { error });
    socket.end();
  } finally {
    connection.busy = false;
  }
}

function send(socket: Socket<Connection>, text: string): void {
  socket.data.pending.push(new TextEncoder().encode(text));
  flush(socket);
}

/** Writes what the socket takes now; true once nothing is left (`drain` calls again until then). */
function flush(socket: Socket<Connection>): boolean {
  const { pending } = socket.data;
  for (let chunk = pending[0]; chunk !== undefined; chunk = pending[0]) {
    const written = socket.write(chunk);
    if (written < chunk.length) {
      pending[0] = chunk.subarray(Math.max(0, written));
      return false;
    }
    pending.shift();
  }
  return true;
}

/** Whether something accepts connections on the socket at `path`. */
async function answers(path: string): Promise<boolean> {
  try {
    const socket = await Bun.connect({ unix: path, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}
