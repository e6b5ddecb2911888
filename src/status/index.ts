/** What other code may import from the status domain. */

export { setAdmin } from './queries';
export { recordRequestHistory } from './request-history';
export { statusRoutes } from './routes';
