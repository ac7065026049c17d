/**
 * Stand-ins for what a bundle leaves out, as Sentry's CDN bundles carry them
 * (@sentry-internal/integration-shims, which is not on npm): a page or the loader may call
 * `Sentry.replayIntegration()` with a bundle that has no Replay, and must get a harmless
 * integration and a warning instead of a TypeError. `_isShim` tells `lazyLoadIntegration`
 * that the real one is still to be loaded.
 */

/** @param {string} what */
function warn(what) {
  // eslint-disable-next-line no-console
  console.warn(`You are using ${what} even though this bundle does not include it.`);
}

/**
 * @param {string} fnName
 * @param {string} integrationName
 */
function shimIntegration(fnName, integrationName) {
  const shim = () => {
    warn(`${fnName}()`);
    return { name: integrationName };
  };
  return Object.assign(shim, { _isShim: true });
}

export const browserTracingIntegrationShim = shimIntegration('browserTracingIntegration', 'BrowserTracing');
export const replayIntegrationShim = shimIntegration('replayIntegration', 'Replay');
export const feedbackIntegrationShim = shimIntegration('feedbackIntegration', 'Feedback');
export const consoleLoggingIntegrationShim = shimIntegration('consoleLoggingIntegration', 'ConsoleLogs');

/** @param {string} name */
function shimFunctions(name, /** @type {string[]} */ methods) {
  /** @type {Record<string, () => void>} */
  const shim = {};
  let warned = false;
  for (const method of methods) {
    shim[method] = () => {
      if (!warned) warn(`Sentry.${name}`);
      warned = true;
    };
  }
  return shim;
}

export const loggerShim = shimFunctions('logger', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'fmt']);
export const metricsShim = shimFunctions('metrics', ['count', 'gauge', 'distribution']);
