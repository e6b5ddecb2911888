import { z } from 'zod';
import { MAX_LENGTH, MIN_LENGTH } from './password-policy';

export const USERNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$/;

export const username = z
  .string()
  .trim()
  .regex(
    USERNAME_PATTERN,
    'Usernames are 1–40 letters, digits, dots, dashes or underscores, starting with a letter, digit or underscore.',
  );

export const registration = z
  .object({
    username,
    email: z.string().trim().email('Enter a valid email address.').max(254),
    // Length here; strength (password-policy.ts) when the account is created.
    password: z
      .string()
      .min(MIN_LENGTH, `Passwords need at least ${MIN_LENGTH} characters.`)
      .max(MAX_LENGTH, `Passwords are at most ${MAX_LENGTH} characters.`),
    password_confirm: z.string().optional(),
  })
  .refine((v) => v.password_confirm === undefined || v.password_confirm === v.password, {
    message: 'The two passwords do not match.',
    path: ['password_confirm'],
  });

export const login = z.object({
  username: z.string().trim().min(1, 'Enter your username.').max(254),
  password: z.string().min(1, 'Enter your password.').max(1024),
  next: z.string().optional(),
});

export const passwordChange = z.object({
  current_password: z.string().min(1, 'Enter your current password.').max(MAX_LENGTH),
  new_password: z
    .string()
    .min(MIN_LENGTH, `Passwords need at least ${MIN_LENGTH} characters.`)
    .max(MAX_LENGTH, `Passwords are at most ${MAX_LENGTH} characters.`),
});

export type Registration = z.infer<typeof registration>;
