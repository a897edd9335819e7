import { dlopen, FFIType, ptr } from "bun:ffi";

/** The JSC option that turns the FTL tier off, and the value we run the tunnel with. */
export const FTL_OPTION = "BUN_JSC_useFTLJIT";

/** Commands that run a long-lived data plane, where the FTL tier costs memory for no speed. */
const TUNNEL_COMMANDS = new Set(["client", "gateway"]);

/**
 * The environment a tunnel command should run under, or undefined to run as it is: JSC's FTL
 * tier off, unless the caller chose a value for it. Measured on bench:e2e, FTL adds about 9 MB
 * to each process's peak RSS (its compiler's memory and code) while the throughput and RTT
 * stay within run-to-run noise: the data path's time goes to syscalls and libcrypto.
 */
export function tunnelEnvironment(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> | undefined {
  if (!TUNNEL_COMMANDS.has(args[0] ?? "") || env[FTL_OPTION] !== undefined) return undefined;
  const next: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) next[name] = value;
  next[FTL_OPTION] = "0";
  return next;
}

/**
 * Replaces this process with the same command under `env` (execve: same pid, same descriptors),
 * since JSC reads its options once at start. Returns only if execve failed, and then the
 * command simply runs with the options it has.
 */
export function reexecWith(
  execPath: string,
  argv: readonly string[],
  env: Record<string, string>,
): void {
  const library = dlopen("libc.so.6", {
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  });
  const strings = [execPath, ...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].map(
    (text) => Buffer.from(`${text}\0`),
  );
  const pointers = (from: number, count: number) => {
    const array = new BigUint64Array(count + 1);
    for (let i = 0; i < count; i++) array[i] = BigInt(ptr(strings[from + i] ?? Buffer.alloc(1)));
    return array;
  };
  const argvArray = pointers(1, argv.length);
  const envArray = pointers(1 + argv.length, strings.length - 1 - argv.length);
  library.symbols.execve(strings[0] ?? Buffer.alloc(1), ptr(argvArray), ptr(envArray));
  library.close();
}
