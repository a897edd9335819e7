import { createAppLogger, type Logger } from "@fz/log";
import { EXIT_CONFIG, isConfigError, loadConfigFile } from "./config-file.ts";
import { untilSignal } from "./signals.ts";

/** A started app: what to log about it, its counters, and how to stop it. */
export interface RunningApp {
  readonly details: Record<string, unknown>;
  stats(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface AppOptions<C extends { readonly logDir: string | undefined }> {
  readonly role: "client" | "gateway";
  readonly configPath: string;
  readonly stderr: (text: string) => void;
  /** Resolves when the app should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown> | undefined;
  readonly parse: (raw: unknown, source: string) => C;
  readonly start: (config: C, logger: Logger) => Promise<RunningApp>;
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
  try {
    config = await loadConfigFile(options.configPath, options.parse);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    options.stderr(`firezone ${options.role}: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  const { logger, logFile } = createAppLogger({ role: options.role, logDir: config.logDir });
  const until = options.until ?? untilSignal();
  try {
    const app = await options.start(config, logger);
    logger.info(`${options.role} started`, {
      ...app.details,
      ...(logFile === undefined ? {} : { log_file: logFile }),
    });
    const logStats = () => logger.info(`${options.role} stats`, app.stats());
    process.on("SIGUSR1", logStats);
    const reason = await until;
    process.off("SIGUSR1", logStats);
    logger.info(`${options.role} stopping`, { reason: String(reason), ...app.stats() });
    await app.stop();
    return 0;
  } catch (error) {
    logger.error(`${options.role} failed`, { error });
    return 1;
  } finally {
    await logger.close();
  }
}
