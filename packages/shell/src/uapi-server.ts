import { existsSync, mkdirSync, unlinkSync } from "node:fs";
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
  pending: Uint8Array;
  busy: boolean;
}

/**
 * Answers WireGuard's userspace API on `<dir>/<interface>.sock`, as wireguard-go does, so that
 * `wg show` and `firezone status` can read the peers, handshakes and transfer counts of a
 * running tunnel. `set` is refused (EPERM): the config file is where settings live. The socket
 * is for its owner alone (umask 077), since the answer carries the private key as wg expects.
 */
export class UapiServer {
  readonly path: string;
  readonly #listener: UnixSocketListener<Connection>;

  private constructor(path: string, listener: UnixSocketListener<Connection>) {
    this.path = path;
    this.#listener = listener;
  }

  /**
   * Listens on the socket; if a live process already answers there (the same interface name in
   * another network namespace), logs why and returns undefined: the tunnel runs on without it.
   */
  static async start(options: UapiServerOptions): Promise<UapiServer | undefined> {
    const path = join(options.dir, `${options.interfaceName}.sock`);
    mkdirSync(options.dir, { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      if (await answers(path)) {
        options.logger.warn("status socket in use by another process; not serving it", { path });
        return undefined;
      }
      unlinkSync(path);
    }
    const previousMask = process.umask(0o077);
    try {
      const listener = Bun.listen<Connection>({
        unix: path,
        socket: {
          open(socket) {
            socket.data = { received: "", pending: new Uint8Array(0), busy: false };
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
            flush(socket);
          },
        },
      });
      return new UapiServer(path, listener);
    } finally {
      process.umask(previousMask);
    }
  }

  /** Stops listening and removes the socket file. */
  close(): void {
    this.#listener.stop(true);
    if (existsSync(this.path)) unlinkSync(this.path);
  }
}

/** Answers every whole request received so far, one at a time and in order. */
async function serve(socket: Socket<Connection>, options: UapiServerOptions): Promise<void> {
  const connection = socket.data;
  if (connection.busy) return;
  connection.busy = true;
  try {
    for (let taken = takeUapiRequest(connection.received); taken; ) {
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
  const bytes = new TextEncoder().encode(text);
  const { pending } = socket.data;
  const joined = new Uint8Array(pending.length + bytes.length);
  joined.set(pending);
  joined.set(bytes, pending.length);
  socket.data.pending = joined;
  flush(socket);
}

/** Writes what the socket takes now; `drain` calls again for the rest of a large answer. */
function flush(socket: Socket<Connection>): void {
  const { pending } = socket.data;
  if (pending.length === 0) return;
  const written = socket.write(pending);
  socket.data.pending = written > 0 ? pending.subarray(written) : pending;
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
