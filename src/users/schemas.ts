import { z } from 'zod';

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
    password: z
      .string()
      .min(10, 'Passwords need at least 10 characters.')
      .max(1024, 'Passwords are at most 1024 characters.'),
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

export const profileEdit = z.object({
  bio: z.string().max(5000, 'The bio is at most 5000 characters.').default(''),
});

export type Registration = z.infer<typeof registration>;
