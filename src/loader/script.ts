/**
 * The loader script a page includes: it stands in for `window.Sentry` until the SDK is there,
 * keeps errors and `Sentry.*` calls made before, injects the SDK bundle (on the first error when
 * lazy, at once otherwise), then initialises it with the key's options and replays what it kept.
 * The minified variant is the same script without comments and indentation.
 */
import type { SdkConfig } from './bundle.ts';

export interface LoaderContext {
  publicKey: string;
  jsSdkUrl: string;
  config: SdkConfig;
  isLazy: boolean;
}

/** `</script>` and friends cannot end the tag this is inlined into. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function loaderScript(context: LoaderContext): string {
  return `// Sentry SDK loader for the client key ${context.publicKey} (served by clientkeys).
(function (window, document, sdkUrl, config, lazy) {
  var queue = [];
  var onLoadCallbacks = [];
  var injected = false;
  var previousOnError = window.onerror;
  var previousOnRejection = window.onunhandledrejection;

  // Errors before the SDK is there are kept and replayed once it is.
  window.onerror = function (message, source, line, column, error) {
    queue.push({ e: 'error', a: [message, source, line, column, error] });
    if (previousOnError) previousOnError.apply(window, arguments);
    if (lazy) inject();
  };
  window.onunhandledrejection = function (event) {
    queue.push({ e: 'unhandledrejection', a: [event] });
    if (previousOnRejection) previousOnRejection.apply(window, arguments);
    if (lazy) inject();
  };

  function inject() {
    if (injected) return;
    injected = true;
    var script = document.createElement('script');
    script.src = sdkUrl;
    script.crossOrigin = 'anonymous';
    script.addEventListener('load', start);
    var first = document.scripts[0];
    if (first && first.parentNode) first.parentNode.insertBefore(script, first);
    else document.head.appendChild(script);
  }

  function start() {
    var sdk = window.Sentry;
    window.onerror = previousOnError;
    window.onunhandledrejection = previousOnRejection;
    if (!sdk || typeof sdk.init !== 'function') return;
    var options = {};
    for (var name in config) options[name] = config[name];
    if (typeof window.sentryOnLoad === 'function') window.sentryOnLoad();
    for (var i = 0; i < onLoadCallbacks.length; i++) onLoadCallbacks[i]();
    if (!sdk.getClient || !sdk.getClient()) sdk.init(options);
    for (var j = 0; j < queue.length; j++) {
      var item = queue[j];
      if (item.f) sdk[item.f].apply(sdk, item.a);
      else if (item.e === 'error' && window.onerror) window.onerror.apply(window, item.a);
      else if (item.e === 'unhandledrejection' && window.onunhandledrejection) window.onunhandledrejection.apply(window, item.a);
    }
  }

  var stub = {
    onLoad: function (callback) {
      onLoadCallbacks.push(callback);
      if (lazy) inject();
    },
    forceLoad: inject
  };
  // Calls like Sentry.captureException before the SDK loads are queued, not lost.
  var methods = ['init', 'captureException', 'captureMessage', 'captureEvent', 'addBreadcrumb', 'setUser', 'setTag', 'setTags', 'setExtra', 'setExtras', 'setContext', 'withScope', 'showReportDialog'];
  for (var k = 0; k < methods.length; k++) {
    (function (name) {
      stub[name] = function () {
        queue.push({ f: name, a: [].slice.call(arguments) });
        if (lazy && name !== 'init') inject();
      };
    })(methods[k]);
  }
  window.Sentry = window.Sentry || stub;
  if (!lazy) inject();
})(window, document, ${json(context.jsSdkUrl)}, ${json(context.config)}, ${context.isLazy ? 'true' : 'false'});
`;
}

/** The same script, comments and indentation gone. */
export function minifiedLoaderScript(context: LoaderContext): string {
  return loaderScript(context)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

/** For unknown and disabled keys: a `Sentry` that does nothing, so pages calling it do not break. */
export const NOOP_LOADER_SCRIPT = `// No Sentry SDK is configured for this key.
(function (window) {
  var noop = function () {};
  window.Sentry = window.Sentry || { onLoad: noop, forceLoad: noop, init: noop, captureException: noop, captureMessage: noop };
})(window);
`;
