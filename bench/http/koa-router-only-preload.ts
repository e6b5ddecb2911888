/**
 * Bench-only diagnosis preload (loaded before dist/otel/register.js):
 * instrumentation-koa with ignoreLayersType ['middleware'], i.e. only the
 * router's layers (which set http.route) get a span and a context; the
 * app.use() middleware layers run unwrapped.
 */
import {
  KoaInstrumentation,
  type KoaInstrumentationConfig,
  KoaLayerType,
} from '@opentelemetry/instrumentation-koa';

const setConfig = KoaInstrumentation.prototype.setConfig;
KoaInstrumentation.prototype.setConfig = function (config: KoaInstrumentationConfig = {}) {
  setConfig.call(this, { ...config, ignoreLayersType: [KoaLayerType.MIDDLEWARE] });
};
