/**
 * Everything that proves or sets a password, each behind its throttle:
 * logging in, registering, changing the password. The routes call one of
 * these and then start or end sessions.
 */
import { AppError, validationFailed } from '../errors';
import type { User } from './models';
import { hashPassword } from './passwords';
import { assertStrongPassword, checkPassword, createUser, resolveLogin } from './service';
import type { Throttles } from './throttle';

/**
 * The user when login and password match, else undefined. Throws a 429 when
 * this account is locked at this address, or this address is (throttle.ts).
 */
export async function logIn(
  throttles: Throttles,
  input: { readonly login: string; readonly password: string; readonly address: string },
): Promise<User | undefined> {
  const { user, throttleKey } = await resolveLogin(input.login);
  const attempt = await throttles.reserveLogin(throttleKey, input.address);
  if (!(await checkPassword(user, input.password))) return undefined;
  await attempt.succeeded();
  return user;
}

/** An email already taken costs this many registrations: probing for addresses is slow. */
const TAKEN_EMAIL_COST = 4;

/**
 * Creates the account; throws 429 past REGISTRATIONS_PER_ADDRESS an hour.
 * A weak password is refused before anything counts.
 */
export async function register(
  throttles: Throttles,
  input: {
    readonly username: string;
    readonly email: string;
    readonly password: string;
    readonly address: string;
  },
): Promise<User> {
  await assertStrongPassword('password', input.password, input);
  return throttleEmailProbes(
    throttles,
    input.address,
    () => createUser(input),
    (error) => {
      const fields =
        error instanceof AppError && error.status === 409 ? error.details?.fields : null;
      return Boolean(fields && typeof fields === 'object' && 'email' in fields);
    },
  );
}

/**
 * Saves an email address (signing up, or changing one's email) under the
 * registration throttle: a point per attempt, TAKEN_EMAIL_COST more when
 * `isTaken` says the address belongs to another account. Either way, finding
 * out which addresses have accounts is slow. 429 when the address's points
 * are spent.
 */
export async function throttleEmailProbes<T>(
  throttles: Throttles,
  address: string,
  save: () => Promise<T>,
  isTaken: (error: unknown) => boolean,
): Promise<T> {
  await throttles.reserveRegistration(address);
  try {
    return await save();
  } catch (error) {
    if (isTaken(error)) {
      // Already answered with its error: a spent counter only matters for the next attempt.
      await throttles.reserveRegistration(address, TAKEN_EMAIL_COST).catch(() => {});
    }
    throw error;
  }
}

/**
 * The signed-in user's current password, before a change that could lock
 * them out or lose data (password, email, deleting the account). Throttled
 * like a login, on the same counter: a stolen session must not become a way
 * to guess the password. Throws a 422 naming `current_password`, or a 429.
 */
export async function confirmCurrentPassword(
  throttles: Throttles,
  input: { readonly user: User; readonly password: string; readonly address: string },
): Promise<void> {
  const attempt = await throttles.reserveLogin(`user:${input.user.id}`, input.address);
  if (!(await checkPassword(input.user, input.password))) {
    const message = 'That is not your current password.';
    throw validationFailed(message, { fields: { current_password: message } });
  }
  await attempt.succeeded();
}

/**
 * Sets a new password after checking the current one and the policy. The
 * caller ends the user's sessions.
 */
export async function changePassword(
  throttles: Throttles,
  input: {
    readonly user: User;
    readonly currentPassword: string;
    readonly newPassword: string;
    readonly address: string;
  },
): Promise<void> {
  const { user } = input;
  await confirmCurrentPassword(throttles, {
    user,
    password: input.currentPassword,
    address: input.address,
  });
  if (input.newPassword === input.currentPassword) {
    const message = 'The new password is the same as the current one.';
    throw validationFailed(message, { fields: { new_password: message } });
  }
  await assertStrongPassword('new_password', input.newPassword, user);
  await user.$query().patch({ password_hash: await hashPassword(input.newPassword) });
}
