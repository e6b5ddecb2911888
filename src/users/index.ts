export { ApiToken, Profile, User } from './models';
export {
  authenticate,
  createApiToken,
  createUser,
  findUserByUsername,
  getProfile,
  listApiTokens,
  revokeApiToken,
  type UserSummary,
  updateBio,
  userForToken,
} from './service';
