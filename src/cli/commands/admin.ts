import { parseArgs } from 'node:util';
import { setAdmin } from '../../status';
import type { CliContext } from '../context';
import { UsageError } from '../errors';

export const userAdminHelp =
  "user:admin <username> [--revoke]                   let a user see everyone's numbers on /status (or no longer)";

/** Admins see the status of the whole instance; there is no other admin power (yet). */
export async function userAdmin(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { revoke: { type: 'boolean', default: false } },
  });
  const [username] = positionals;
  if (!username || positionals.length > 1) throw new UsageError('user:admin needs one username.');
  const admin = !values.revoke;
  if (!(await setAdmin(ctx.db.knex, username, admin))) {
    throw new UsageError(`There is no user called ${username}.`);
  }
  ctx.print(admin ? `${username} is now an admin.` : `${username} is no longer an admin.`);
}
