/**
 * What the web app hands each domain's router. Lives apart from app.ts so the
 * domains' routes.ts files depend on these types only, not on the module that
 * mounts them (app.ts imports every routes.ts; nothing here imports a route).
 */
import type { Config } from '../config';
import type { Database } from '../db/connection';
import type { Logger } from '../logging/logger';
import type { Renderer } from './render';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
}

export interface WebDeps extends AppDeps {
  readonly render: Renderer;
}
