export { exportRoutes } from './routes';
export { exportBookmarks } from './service';
