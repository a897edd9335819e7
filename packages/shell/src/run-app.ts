import { createAppLogger, type Logger } from "@fz/log";
import { EXIT_CONFIG, isConfigError, readConfigFile } from "./config-file.ts";
import { untilSignal } from "./signals.ts";

/** A started app: what to log about it, its counters, and how to stop it. */
export interface RunningApp {
  readonly details: Record<string, unknown>;
  stats(): Promise<Record<string, unknown>>;
  /** Settles if the app fails by itself while running (its data plane died). */
  readonly failure?: Promise<Error>;
  stop(): Promise<void>;
}

export interface AppOptions<C extends { readonly logDir: string | undefined }> {
  readonly role: "client" | "gateway";
  readonly configPath: string;
  readonly stderr: (text: string) => void;
  /** Resolves when the app should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown> | undefined;
  readonly parse: (raw: unknown, source: string) => C;
  /** Starts the app; `raw` is the file's TOML before validation, for a Worker to parse again. */
  readonly start: (config: C, logger: Logger, raw: unknown) => Promise<RunningApp>;
}

/**
 * The life of `firezone client` and `firezone gateway`: load and validate the config (exit 78
 * with every problem on stderr, before touching the system), log to the config's `log_dir`,
 * start, wait for a signal, stop, and return the exit status. SIGUSR1 logs the counters.
 */
export async function runApp<C extends { readonly logDir: string | undefined }>(
  options: AppOptions<C>,
): Promise<number> {
  let config: C;
  let raw: unknown;
  try {
    raw = await readConfigFile(options.configPath);
    config = options.parse(raw, options.configPath);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    options.stderr(`firezone ${options.role}: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  const { logger, logFile } = createAppLogger({ role: options.role, logDir: config.logDir });
  const until = options.until ?? untilSignal();
  try {
    const app = await options.start(config, logger, raw);
    // Start-up garbage (config, TOML, logger set-up) goes before the long run begins.
    Bun.gc(true);
    logger.info(`${options.role} started`, {
      ...app.details,
      ...(logFile === undefined ? {} : { log_file: logFile }),
    });
    const logStats = () => {
      void app.stats().then((stats) => logger.info(`${options.role} stats`, stats));
    };
    process.on("SIGUSR1", logStats);
    const outcome = await Promise.race([
      until.then((reason) => ({ reason })),
      ...(app.failure === undefined ? [] : [app.failure.then((error) => ({ error }))]),
    ]);
    process.off("SIGUSR1", logStats);
    if ("error" in outcome) {
      logger.error(`${options.role} failed`, { error: outcome.error });
      await app.stop();
      return 1;
    }
    const reason = outcome.reason;
    logger.info(`${options.role} stopping`, { reason: String(reason), ...(await app.stats()) });
    await app.stop();
    return 0;
  } catch (error) {
    logger.error(`${options.role} failed`, { error });
    return 1;
  } finally {
    await logger.close();
  }
}
