import { parseArgs } from 'node:util';
import {
  listUsers,
  newPassword,
  resetPassword,
  setUserDisabled,
  type UserListing,
} from '../../accounts';
import { createApiToken, createUser, findUserByUsername } from '../../users';
import { registration } from '../../users/schemas';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { newPasswordInput, prompt } from '../prompt';

export const userCreateHelp =
  'user:create <username> [--email E]                 create an account (asks for the password, or reads it from stdin)';
export const userPasswordHelp =
  'user:password <username>                           set a new password (asked twice, or one line on stdin)';
export const userListHelp =
  'user:list [--json]                                 list the accounts with their status and bookmark count';
export const userDisableHelp =
  'user:disable <username>                            refuse their sign-in, sessions and API tokens (nothing is deleted)';
export const userEnableHelp =
  'user:enable <username>                             undo user:disable';
export const tokenCreateHelp =
  'token:create <username> [--name N]                 create an API token and print it';

function oneUsername(command: string, positionals: string[]): string {
  const [username, ...rest] = positionals;
  if (!username || rest.length > 0) throw new UsageError(`${command} needs one username.`);
  return username;
}

export async function userCreate(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' } },
  });
  const username = oneUsername('user:create', positionals);
  const email = values.email ?? (await prompt('Email: '));
  const password = await newPasswordInput(values.password);
  const parsed = registration.safeParse({ username, email, password });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const user = await createUser(parsed.data);
  ctx.print(`Created user ${user.username} (id ${user.id}).`);
}

export async function userPassword(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { password: { type: 'string' } },
  });
  const username = oneUsername('user:password', positionals);
  // Before asking: no typing a password for an account that does not exist.
  const user = await findUserByUsername(username);
  if (!user) throw new UsageError(`There is no user called ${username}.`);
  const parsed = newPassword.safeParse(await newPasswordInput(values.password));
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  await resetPassword(user.username, parsed.data);
  ctx.print(`New password set for ${user.username}.`);
}

export async function userList(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const users = await listUsers();
  if (values.json) {
    ctx.print(JSON.stringify(users, null, 2));
    return;
  }
  if (users.length === 0) {
    ctx.print('No accounts yet: create one with user:create, or register on the site.');
    return;
  }
  for (const line of table(users)) ctx.print(line);
}

function table(users: readonly UserListing[]): string[] {
  const rows = [
    ['ID', 'USERNAME', 'EMAIL', 'CREATED', 'BOOKMARKS', 'STATUS'],
    ...users.map((u) => [
      String(u.id),
      u.username,
      u.email,
      u.createdAt.toISOString().slice(0, 10),
      String(u.bookmarks),
      u.disabledAt ? `disabled since ${u.disabledAt.toISOString().slice(0, 10)}` : 'active',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export async function userDisable(args: string[], ctx: CliContext): Promise<void> {
  const username = oneUsername(
    'user:disable',
    parseArgs({ args, allowPositionals: true }).positionals,
  );
  const changed = await setUserDisabled(username, true);
  ctx.print(
    changed
      ? `Disabled ${username}: they cannot sign in, and their sessions and API tokens are refused until user:enable.`
      : `${username} was already disabled.`,
  );
}

export async function userEnable(args: string[], ctx: CliContext): Promise<void> {
  const username = oneUsername(
    'user:enable',
    parseArgs({ args, allowPositionals: true }).positionals,
  );
  const changed = await setUserDisabled(username, false);
  ctx.print(changed ? `Enabled ${username} again.` : `${username} was not disabled.`);
}

export async function tokenCreate(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string', default: 'cli' } },
  });
  const name = oneUsername('token:create', positionals);
  const user = await findUserByUsername(name);
  if (!user) throw new UsageError(`There is no user called ${name}.`);
  const { token } = await createApiToken({ userId: user.id, name: values.name });
  ctx.print(token);
}
