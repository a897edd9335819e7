import { receiveMessageOnPort } from "node:worker_threads";
import { loadNativeX25519, selectAead } from "@fz/wireguard/native";
import { DataPlaneLoop } from "./data-plane-loop.ts";
import type {
  DataPlaneAnswers,
  DataPlaneCommand,
  DataPlaneInit,
  DataPlaneReport,
} from "./data-plane-protocol.ts";
import type { CreateTunnelCore } from "./tunnel-core.ts";

declare const self: Worker;

function report(message: DataPlaneReport): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<DataPlaneInit>) => {
  const init = event.data;
  try {
    const { backend, fallbackReason } = selectAead(init.core.aead);
    // OpenSSL's X25519 saves loading node:crypto (megabytes of RSS) when libcrypto is in use anyway.
    const dh = backend.name === "openssl" ? loadNativeX25519() : undefined;
    const module = (await import(init.core.module)) as { createTunnelCore: CreateTunnelCore };
    const crypto = dh === undefined ? { aead: backend } : { aead: backend, dh };
    const built = module.createTunnelCore(init.core.input as never, crypto, performance.now());
    const loop: DataPlaneLoop = new DataPlaneLoop({
      core: built.core,
      tunFd: init.tunFd,
      udpFd: init.udpFd,
      dnsFd: init.dnsFd,
      wakeFd: init.wakeFd,
      gso: init.gso,
      tunVnetHeader: init.tunVnetHeader,
      onWake: () => {
        for (
          let m = receiveMessageOnPort(init.control);
          m;
          m = receiveMessageOnPort(init.control)
        ) {
          obey(loop, m.message as DataPlaneCommand);
        }
      },
      onEvent: (tunnelEvent) => report({ type: "event", event: tunnelEvent }),
      onResolve: (request) => report({ type: "resolve", request }),
    });
    report({
      type: "ready",
      aead: backend.name,
      ...(fallbackReason === undefined ? {} : { aeadFallback: fallbackReason }),
      info: built.info ?? {},
    });
    // What building the core left behind would otherwise stay in the heap's peak for good.
    Bun.gc(true);
    loop.run();
    report({ type: "stopped" });
  } catch (error) {
    report(
      error instanceof Error
        ? { type: "failed", message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
        : { type: "failed", message: String(error) },
    );
  }
};

function obey(loop: DataPlaneLoop, command: DataPlaneCommand): void {
  switch (command.type) {
    case "resolved":
      loop.resolved(command.id, command.addresses);
      return;
    case "ask": {
      let value: unknown;
      try {
        value = answer(loop, command.question);
      } catch {
        // A question is never worth the tunnel: the main thread gets its fallback.
        value = undefined;
      }
      report({ type: "answer", id: command.id, answer: value });
      return;
    }
    case "stop":
      loop.stop();
      return;
  }
}

function answer(loop: DataPlaneLoop, question: keyof DataPlaneAnswers): unknown {
  switch (question) {
    case "stats":
      return { io: loop.stats(), tunnel: loop.coreStats() } satisfies DataPlaneAnswers["stats"];
    case "peers":
      return loop.corePeers() satisfies DataPlaneAnswers["peers"];
  }
}
