/**
 * The loader script a page includes, as Sentry's (S:src/sentry/templates/sentry/js-sdk-loader.ts):
 * it stands in for `window.Sentry` until the SDK is there, keeps the errors, promise rejections
 * and `Sentry.*` calls made before, injects the SDK bundle (on the first error or `capture*` call
 * when lazy, on the next tick otherwise, or on `Sentry.forceLoad()`), and then:
 *  - wraps the SDK's `init` so that whatever options the page passes are merged into the key's
 *    (its DSN kept unless the page names another) and the integrations the options ask for are
 *    added (`setupDefaultIntegrations`), before the real `init` runs;
 *  - calls `window.sentryOnLoad`, then every `Sentry.onLoad` callback, then the queued `init`
 *    calls; calls `init` itself when none of them did; then replays the other queued calls and
 *    the kept errors and rejections, in order, through the SDK's own global handlers.
 *
 * Where it differs from Sentry's, and why (docs/js-sdk-loader.md):
 *  - the injected `<script>` carries the bundle's Subresource Integrity hash when this server
 *    serves the bundle (Sentry's CDN bundles are injected without one);
 *  - "has init run" asks the SDK for its client rather than whether its global carrier exists,
 *    since from v8 on the carrier is created by any scope call (a `Sentry.setUser` in an `onLoad`
 *    callback), which made Sentry's loader skip its own `init` and send nothing;
 *  - with the key's User Feedback option, `feedbackIntegration()` is added like tracing and replay.
 *
 * Written in ES5 like Sentry's, since it runs before anything else on any page. The minified
 * variant is the same script without comments and indentation.
 */
import type { SdkConfig } from './bundle.ts';

export interface LoaderContext {
  publicKey: string;
  jsSdkUrl: string;
  /** `sha384-…` of the bundle at `jsSdkUrl`, when this server serves it. */
  integrity: string | null;
  config: SdkConfig;
  isLazy: boolean;
  addFeedback: boolean;
}

/** `</script>` and friends cannot end the tag this is inlined into. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function loaderScript(context: LoaderContext): string {
  return `// Sentry SDK loader for the client key ${context.publicKey} (served by clientkeys).
(function (_window, _document, _errorEvent, _unhandledrejectionEvent, _namespace, _publicKey, _sdkBundleUrl, _loaderInitConfig, _lazy, _sdkIntegrity, _addFeedback) {
  var lazy = _lazy;
  // <script data-lazy="no"> asks for the SDK at once even when no feature needs it.
  for (var i = 0; i < _document.scripts.length; i++) {
    if (_document.scripts[i].src.indexOf(_publicKey) > -1) {
      if (lazy && _document.scripts[i].getAttribute('data-lazy') === 'no') lazy = false;
      break;
    }
  }

  var onLoadCallbacks = [];
  // Items: {e: error event arguments}, {p: promise rejection event}, {f: Sentry function, a: its arguments}.
  var queue = [];
  function isError(item) { return 'e' in item; }
  function isRejection(item) { return 'p' in item; }
  function isCall(item) { return 'f' in item; }

  function enqueue(item) {
    // Lazy: only an error, a rejection or a capture call is worth loading the SDK for.
    if (lazy && (isError(item) || isRejection(item) || (isCall(item) && item.f.indexOf('capture') > -1) || (isCall(item) && item.f.indexOf('showReportDialog') > -1))) {
      injectSdk();
    }
    queue.push(item);
  }
  function onError() { enqueue({ e: [].slice.call(arguments) }); }
  function onUnhandledRejection(p) { enqueue({ p: p }); }

  function onSdkLoaded() {
    try {
      _window.SENTRY_SDK_SOURCE = 'loader';
      var SDK = _window[_namespace];
      var sdkInit = SDK.init;
      // The page's options merged into the key's, whoever calls init and whenever.
      SDK.init = function (options) {
        // From here the SDK's own global handlers catch errors.
        _window.removeEventListener(_errorEvent, onError);
        _window.removeEventListener(_unhandledrejectionEvent, onUnhandledRejection);
        var merged = _loaderInitConfig;
        for (var key in options) {
          if (Object.prototype.hasOwnProperty.call(options, key)) merged[key] = options[key];
        }
        setupDefaultIntegrations(merged, SDK);
        return sdkInit(merged);
      };
      // A tick later, so that every Sentry.onLoad() of the page's scripts is registered.
      setTimeout(function () { setupSdk(SDK); });
    } catch (o_O) {
      console.error(o_O);
    }
  }

  var injected = false;
  function injectSdk() {
    if (injected) return;
    injected = true;
    var firstScript = _document.scripts[0];
    var script = _document.createElement('script');
    script.src = _sdkBundleUrl;
    script.crossOrigin = 'anonymous';
    if (_sdkIntegrity) script.integrity = _sdkIntegrity;
    script.addEventListener('load', onSdkLoaded, { once: true, passive: true });
    firstScript.parentNode.insertBefore(script, firstScript);
  }

  // The integrations the options ask for, unless the page added its own (or passed a function).
  function setupDefaultIntegrations(config, SDK) {
    var integrations = config.integrations || [];
    if (!Array.isArray(integrations)) return;
    var names = integrations.map(function (integration) { return integration.name; });
    if (config.tracesSampleRate && names.indexOf('BrowserTracing') === -1) {
      if (SDK.browserTracingIntegration) integrations.push(SDK.browserTracingIntegration({ enableInp: true }));
      else if (SDK.BrowserTracing) integrations.push(new SDK.BrowserTracing());
    }
    if ((config.replaysSessionSampleRate || config.replaysOnErrorSampleRate) && names.indexOf('Replay') === -1) {
      if (SDK.replayIntegration) integrations.push(SDK.replayIntegration());
      else if (SDK.Replay) integrations.push(new SDK.Replay());
    }
    if (_addFeedback && names.indexOf('Feedback') === -1 && SDK.feedbackIntegration) {
      integrations.push(SDK.feedbackIntegration());
    }
    config.integrations = integrations;
  }

  // Has init run, by the loader, the page, or another copy of the SDK on the page?
  function sdkIsLoaded() {
    var carrier = _window.__SENTRY__;
    if (typeof carrier === 'undefined') return false;
    if (carrier.version) {
      var sdk = _window[_namespace];
      return !!(sdk && typeof sdk.getClient === 'function' && sdk.getClient());
    }
    return !!(carrier.hub && carrier.hub.getClient());
  }

  function setupSdk(SDK) {
    try {
      if (typeof _window.sentryOnLoad === 'function') {
        _window.sentryOnLoad();
        _window.sentryOnLoad = undefined;
      }
    } catch (o_O) {
      console.error('Error while calling \`sentryOnLoad\` handler:');
      console.error(o_O);
    }
    try {
      for (var i = 0; i < onLoadCallbacks.length; i++) {
        if (typeof onLoadCallbacks[i] === 'function') onLoadCallbacks[i]();
      }
      onLoadCallbacks.splice(0);
      for (i = 0; i < queue.length; i++) {
        if (isCall(queue[i]) && queue[i].f === 'init') SDK.init.apply(SDK, queue[i].a);
      }
      if (!sdkIsLoaded()) SDK.init();
      // The SDK has patched these by now; they take care of browser differences.
      var errorHandler = _window.onerror;
      var rejectionHandler = _window.onunhandledrejection;
      for (i = 0; i < queue.length; i++) {
        var item = queue[i];
        if (isCall(item)) {
          if (item.f === 'init') continue;
          SDK[item.f].apply(SDK, item.a);
        } else if (isError(item) && errorHandler) {
          errorHandler.apply(_window, item.e);
        } else if (isRejection(item) && rejectionHandler) {
          rejectionHandler.apply(_window, [item.p]);
        }
      }
    } catch (o_O) {
      console.error(o_O);
    }
  }

  // Whatever the page already put on window.Sentry stays.
  _window[_namespace] = _window[_namespace] || {};
  _window[_namespace].onLoad = function (callback) {
    if (sdkIsLoaded()) {
      callback();
      return;
    }
    onLoadCallbacks.push(callback);
  };
  _window[_namespace].forceLoad = function () {
    setTimeout(function () { injectSdk(); });
  };
  ['init', 'addBreadcrumb', 'captureMessage', 'captureException', 'captureEvent', 'configureScope', 'withScope', 'showReportDialog'].forEach(function (f) {
    _window[_namespace][f] = function () {
      enqueue({ f: f, a: arguments });
    };
  });

  _window.addEventListener(_errorEvent, onError);
  _window.addEventListener(_unhandledrejectionEvent, onUnhandledRejection);

  if (!lazy) {
    setTimeout(function () { injectSdk(); });
  }
})(window, document, 'error', 'unhandledrejection', 'Sentry', ${json(context.publicKey)}, ${json(context.jsSdkUrl)}, ${json(context.config)}, ${context.isLazy ? 'true' : 'false'}, ${json(context.integrity)}, ${context.addFeedback ? 'true' : 'false'});
`;
}

/** The same script, comments and indentation gone (no line of it ends inside a string). */
export function minifiedLoaderScript(context: LoaderContext): string {
  return loaderScript(context)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

/**
 * For unknown and disabled keys. Sentry's no-op template (js-sdk-loader-noop.js.tmpl) is an object
 * literal in statement position, a SyntaxError in every browser, so `window.Sentry` stays
 * undefined and the page's own `Sentry.onLoad(…)` throws. This one defines the loader's functions
 * as no-ops, so such a page keeps working and sends nothing.
 */
export const NOOP_LOADER_SCRIPT = `// No Sentry SDK is configured for this key.
(function (window) {
  var noop = function () {};
  var sentry = (window.Sentry = window.Sentry || {});
  ['onLoad', 'forceLoad', 'init', 'addBreadcrumb', 'captureMessage', 'captureException', 'captureEvent', 'configureScope', 'withScope', 'showReportDialog'].forEach(function (name) {
    if (typeof sentry[name] !== 'function') sentry[name] = noop;
  });
})(window);
`;
