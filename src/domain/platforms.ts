/**
 * Project platforms Sentry accepts (`Project.is_valid_platform`: empty, "other", or one of
 * GETTING_STARTED_DOCS_PLATFORMS in S:src/sentry/models/project.py).
 */
export const PLATFORMS: ReadonlySet<string> = new Set([
  'android', 'apple', 'apple-ios', 'apple-macos', 'bun', 'capacitor', 'cloudflare-pages',
  'cloudflare-workers', 'cordova', 'dart', 'deno', 'dotnet', 'dotnet-aspnet', 'dotnet-aspnetcore',
  'dotnet-awslambda', 'dotnet-gcpfunctions', 'dotnet-maui', 'dotnet-uwp', 'dotnet-winforms',
  'dotnet-wpf', 'dotnet-xamarin', 'electron', 'elixir', 'flutter', 'go', 'go-echo', 'go-fasthttp',
  'go-fiber', 'go-gin', 'go-http', 'go-iris', 'go-martini', 'go-negroni', 'ionic', 'java',
  'java-log4j2', 'java-logback', 'java-spring', 'java-spring-boot', 'javascript',
  'javascript-angular', 'javascript-astro', 'javascript-ember', 'javascript-gatsby',
  'javascript-nextjs', 'javascript-react', 'javascript-remix', 'javascript-solid',
  'javascript-solidstart', 'javascript-svelte', 'javascript-sveltekit', 'javascript-nuxt',
  'javascript-vue', 'kotlin', 'minidump', 'native', 'native-qt', 'nintendo-switch', 'node',
  'node-awslambda', 'node-azurefunctions', 'node-connect', 'node-express', 'node-fastify',
  'node-gcpfunctions', 'node-hapi', 'node-koa', 'node-nestjs', 'php', 'php-laravel',
  'php-symfony', 'powershell', 'python', 'python-aiohttp', 'python-asgi', 'python-awslambda',
  'python-bottle', 'python-celery', 'python-chalice', 'python-django', 'python-falcon',
  'python-fastapi', 'python-flask', 'python-gcpfunctions', 'python-pylons', 'python-pymongo',
  'python-pyramid', 'python-quart', 'python-rq', 'python-sanic', 'python-serverless',
  'python-starlette', 'python-tornado', 'python-tryton', 'python-wsgi', 'react-native', 'ruby',
  'ruby-rack', 'ruby-rails', 'rust', 'unity', 'unreal',
]);

export function isValidPlatform(value: string | null | undefined): boolean {
  return !value || value === 'other' || PLATFORMS.has(value);
}

/**
 * Console platforms (S:src/sentry/utils/platform_categories.py CONSOLES): valid platforms, but a
 * project may use one only when the organization enabled it (`sentry:enabled_console_platforms`),
 * which no clientkeys organization has.
 */
export const CONSOLE_PLATFORMS: ReadonlySet<string> = new Set(['nintendo-switch', 'playstation', 'xbox']);

/** Mobile platforms, which get Sentry's mobile highlight preset (platform_categories MOBILE). */
export const MOBILE_PLATFORMS: ReadonlySet<string> = new Set([
  'android', 'apple-ios', 'capacitor', 'cordova', 'dotnet-maui', 'dotnet-xamarin', 'flutter', 'ionic',
  'react-native', 'unity', 'unreal',
]);
