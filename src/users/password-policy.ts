/**
 * What makes a password acceptable: at least MIN_LENGTH characters and a
 * zxcvbn-ts score of at least MIN_SCORE ("safely unguessable"), judged
 * against common passwords, English words and names, keyboard patterns,
 * repeats, sequences, dates, and the person's own username and email. Ten
 * spaces, "password1234" or the username itself fail; "correct horse
 * battery" passes.
 *
 * The dictionaries cost ~0.5 s and ~45 MB to load, so they load on the
 * first check (a registration or a password change), not at start-up.
 */
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const MIN_LENGTH = 10;
export const MAX_LENGTH = 1024;
const MIN_SCORE = 3;
// zxcvbn's matching grows fast with length: judge the first 64 characters
// (a password longer than that is long enough to be hard anyway).
const JUDGED_LENGTH = 64;

let estimator: Promise<ZxcvbnFactory> | undefined;

function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      maxLength: JUDGED_LENGTH,
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    });
  })();
  return estimator;
}

/**
 * Undefined when the password is acceptable, else what to change, in words
 * for the person (the estimator's own warning and suggestions).
 */
export async function passwordProblem(
  password: string,
  person: { readonly username?: string; readonly email?: string },
): Promise<string | undefined> {
  if (password.length < MIN_LENGTH) return `Passwords need at least ${MIN_LENGTH} characters.`;
  if (password.length > MAX_LENGTH) return `Passwords are at most ${MAX_LENGTH} characters.`;
  const zxcvbn = await loadEstimator();
  const inputs = [person.username, person.email, person.email?.split('@')[0], 'pebbling', 'club']
    .filter((input): input is string => Boolean(input))
    .map((input) => input.toLowerCase());
  const result = zxcvbn.check(password, inputs);
  if (result.score >= MIN_SCORE) return undefined;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean);
  return ['This password is too easy to guess.', ...advice].join(' ');
}
