import { parseArgs } from 'node:util';
import { createApiToken, createUser, findUserByUsername } from '../../users';
import { registration } from '../../users/schemas';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { prompt } from '../prompt';

export const userCreateHelp =
  'user:create <username> [--email E] [--password P]   create an account (prompts for what is missing)';
export const tokenCreateHelp =
  'token:create <username> [--name N]                  create an API token and print it';

export async function userCreate(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' } },
  });
  const [username] = positionals;
  if (!username) throw new UsageError('user:create needs a username.');
  const email = values.email ?? (await prompt('Email: '));
  const password = values.password ?? (await prompt('Password: ', { hidden: true }));
  const parsed = registration.safeParse({ username, email, password });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const user = await createUser(parsed.data);
  ctx.print(`Created user ${user.username} (id ${user.id}).`);
}

export async function tokenCreate(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string', default: 'cli' } },
  });
  const name = positionals[0];
  if (!name) throw new UsageError('token:create needs a username.');
  const user = await findUserByUsername(name);
  if (!user) throw new UsageError(`There is no user called ${name}.`);
  const { token } = await createApiToken({ userId: user.id, name: values.name });
  ctx.print(token);
}
