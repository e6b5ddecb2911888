export {
  changePassword,
  confirmCurrentPassword,
  logIn,
  register,
  throttleEmailProbes,
} from './credentials';
export { ApiToken, Profile, User } from './models';
export { passwordProblem } from './password-policy';
export {
  assertStrongPassword,
  checkPassword,
  createApiToken,
  createUser,
  findUserByUsername,
  getProfile,
  listApiTokens,
  resolveLogin,
  revokeApiToken,
  type UserSummary,
  updateBio,
  userForToken,
} from './service';
export {
  countUserSessions,
  createSessionStore,
  purgeExpiredSessions,
  revokeUserSessions,
  type SessionStore,
} from './sessions';
export { createThrottles, type Throttles } from './throttle';
