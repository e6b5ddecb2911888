/**
 * `npm run cli -- <command> [args]`, also the package's bin. Each command is a
 * function in commands/, listed in COMMANDS: no scanning, the compiler checks
 * the map. Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
import { ConfigError, loadConfig } from '../config';
import { AppError } from '../errors';
import { createLogger } from '../logging/logger';
import { StartupError } from '../runtime/startup-error';
import { userAdmin, userAdminHelp } from './commands/admin';
import { feedsAdd, feedsAddHelp, feedsPoll, feedsPollHelp } from './commands/feeds';
import { importCommand, importHelp } from './commands/import';
import { testMetrics, testMetricsHelp } from './commands/test-metrics';
import {
  tokenCreate,
  tokenCreateHelp,
  userCreate,
  userCreateHelp,
  userDisable,
  userDisableHelp,
  userEnable,
  userEnableHelp,
  userList,
  userListHelp,
  userPassword,
  userPasswordHelp,
} from './commands/users';
import { type CliContext, openCliDatabase } from './context';
import { CommandFailed, UsageError } from './errors';
import { closePrompts } from './prompt';

type Command = (args: string[], ctx: CliContext) => Promise<void>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  migrate: {
    run: async (_args, ctx) => ctx.print('Database is up to date.'),
    help: 'migrate                                            apply database migrations',
  },
  'user:create': { run: userCreate, help: userCreateHelp },
  'user:password': { run: userPassword, help: userPasswordHelp },
  'user:list': { run: userList, help: userListHelp },
  'user:disable': { run: userDisable, help: userDisableHelp },
  'user:enable': { run: userEnable, help: userEnableHelp },
  'token:create': { run: tokenCreate, help: tokenCreateHelp },
  'user:admin': { run: userAdmin, help: userAdminHelp },
  import: { run: importCommand, help: importHelp },
  'test-metrics': { run: testMetrics, help: testMetricsHelp },
  'feeds:poll': { run: feedsPoll, help: feedsPollHelp },
  'feeds:add': { run: feedsAdd, help: feedsAddHelp },
};

function usage(): string {
  return [
    'Usage: npm run cli -- <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.help}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  const config = loadConfig();
  // Logs go to stderr so stdout carries only the command's answer (a token, a table).
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, {}, 2);
  const db = await openCliDatabase(config, logger);
  try {
    await command.run(args, {
      config,
      logger,
      db,
      print: (line) => process.stdout.write(`${line}\n`),
    });
    return 0;
  } finally {
    closePrompts();
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    if (
      error instanceof AppError ||
      error instanceof CommandFailed ||
      error instanceof StartupError
    ) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
