import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import Koa from 'koa';
import { accountRoutes } from '../accounts/routes';
import { apiRoutes } from '../api/routes';
import { bulkRoutes } from '../bookmarks/bulk-routes';
import { bookmarkListRoutes } from '../bookmarks/list-routes';
import { bookmarkRoutes } from '../bookmarks/routes';
import { bookmarkSettingsRoutes } from '../bookmarks/settings-routes';
import { tagRoutes } from '../bookmarks/tag-routes';
import { exportRoutes } from '../exports/routes';
import { feedRoutes } from '../feeds/routes';
import { importRoutes } from '../imports/routes';
import { readerApiRoutes, readerRoutes, unreadInNavigation } from '../reader';
import { recordRequestHistory, statusRoutes } from '../status';
import { createSessionStore } from '../users';
import { userRoutes } from '../users/routes';
import { bodyParseError } from './body-errors';
import type { AppDeps, WebDeps } from './deps';
import { authenticate } from './middleware/auth';
import { csrfProtection } from './middleware/csrf';
import { errorHandler } from './middleware/error-handler';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { securityHeaders } from './middleware/security-headers';
import { sessions } from './middleware/session';
import { createRenderer } from './render';
import { healthRoutes } from './routes/health';
import { homeRoutes } from './routes/home';
import { isScrape, metricsEndpoint } from './routes/metrics';
import { resolveSecretKey } from './secret-key';
import { staticFiles } from './static';
import './types';

/** Each domain contributes one router; order matters only for overlapping paths. */
function domainRouters(deps: WebDeps): Router[] {
  return [
    homeRoutes(deps.render),
    userRoutes(deps),
    accountRoutes(deps),
    importRoutes(deps),
    exportRoutes(deps),
    bookmarkRoutes(deps),
    bulkRoutes(deps),
    bookmarkListRoutes(deps),
    tagRoutes(deps),
    bookmarkSettingsRoutes(deps),
    apiRoutes(deps),
    feedRoutes(deps),
    readerRoutes(deps),
    readerApiRoutes(deps),
    statusRoutes(deps),
  ];
}

export function createApp(deps: AppDeps): Koa {
  const { config, logger, db } = deps;
  // TRUST_PROXY: believe X-Forwarded-For/-Proto/-Host from that many proxies
  // (only the last that many addresses: the earlier ones are the client's word).
  const hops = config.security.trustProxyHops;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  if (config.publicUrl.startsWith('https:') && hops === 0) {
    logger.warn(
      'PUBLIC_URL is https but TRUST_PROXY is off: behind a TLS proxy, session cookies are not ' +
        'marked Secure and no HSTS is sent (set TRUST_PROXY=true, see docs/operations.md)',
    );
  }
  app.silent = true; // errors are logged by errorHandler, not printed by Koa
  const render = createRenderer({ config, allowRegistration: config.allowUserRegistration });
  const web: WebDeps = { ...deps, render };

  app.use(recordRequestHistory(new Set([config.metrics.path, '/healthz', '/readyz'])));
  app.use(requestId());
  app.use(requestLog(logger, new Set([config.metrics.path, '/healthz', '/readyz'])));
  app.use(securityHeaders());
  app.use(errorHandler(render));
  app.use(staticFiles());

  // Metrics on the app's own port unless METRICS_PORT gives them a listener.
  const serveMetricsHere = config.metrics.enabled && config.metrics.port === undefined;
  const metrics = metricsEndpoint(config, logger);
  app.use(async (ctx, next) => {
    if (serveMetricsHere && isScrape(ctx, config.metrics.path)) return metrics(ctx, next);
    return next();
  });

  app.keys = [resolveSecretKey(config)];
  app.use(sessions(app, createSessionStore(db.knex)));
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: '1mb',
      formLimit: '1mb',
      onError: (error, ctx) => {
        throw bodyParseError(error, ctx);
      },
    }),
  );
  app.use(authenticate());
  app.use(csrfProtection());
  app.use(unreadInNavigation(db.knex));

  // Routers are mounted before anything else can claim a path: routes mounted
  // after router.routes() get no http.route on the HTTP metric.
  for (const router of [healthRoutes(db.knex, logger), ...domainRouters(web)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

/** A bare listener for /metrics (METRICS_PORT, or a worker-only process). */
export function createMetricsApp(deps: Pick<AppDeps, 'config' | 'logger'>): Koa {
  const app = new Koa();
  app.silent = true;
  const metrics = metricsEndpoint(deps.config, deps.logger);
  app.use(async (ctx, next) => {
    if (isScrape(ctx, deps.config.metrics.path)) return metrics(ctx, next);
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    return next();
  });
  return app;
}
