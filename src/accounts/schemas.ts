import { z } from 'zod';
import { registration } from '../users/schemas';

/** The same rules as at registration. */
export const newPassword = registration.shape.password;

const currentPassword = z
  .string()
  .min(1, 'Enter your current password.')
  .max(1024, 'Passwords are at most 1024 characters.');

export const profileForm = z.object({
  bio: z.string().max(5000, 'The bio is at most 5000 characters.').default(''),
});

export const emailForm = z.object({
  email: z.string().trim().email('Enter a valid email address.').max(254),
  current_password: currentPassword,
});

export const tokenForm = z.object({
  name: z.string().trim().max(100, 'Token names are at most 100 characters.').default(''),
});

export const deletionForm = z.object({
  current_password: currentPassword,
  confirm: z.literal('yes', { error: 'Tick the box to confirm that everything is deleted.' }),
});
