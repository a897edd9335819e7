/** What the shell may want to log or show; drained with `pollEvent()`. */
export type TunnelEvent =
  | { readonly type: "handshake-completed"; readonly peer: string; readonly at: number }
  | { readonly type: "session-lost"; readonly peer: string; readonly at: number };
