/**
 * The page's HTML: the sign-in form, and the shell the settings pages' script fills in. Every
 * value is escaped where it is inserted; no page has an inline script or style (the CSP forbids
 * both).
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function head(base: string, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="clientkeys-base" content="${escapeHtml(base)}">
<title>${escapeHtml(title)} · clientkeys</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(base)}/_static/app.css">
</head>`;
}

export interface SignInView {
  base: string;
  csrfToken: string;
  next: string;
  email?: string;
  error?: string;
}

export function signInPage(view: SignInView): string {
  const base = escapeHtml(view.base);
  const error = view.error ? `\n    <p class="alert" role="alert" id="signin-error">${escapeHtml(view.error)}</p>` : '';
  const described = view.error ? ' aria-describedby="signin-error"' : '';
  return `${head(view.base, 'Sign in')}
<body class="signin-body">
  <main class="signin-card">
    <p class="brand">clientkeys</p>
    <h1>Sign in</h1>
    <p class="lead">to manage your projects' client keys (DSNs).</p>${error}
    <form method="post" action="${base}/auth/login/"${described}>
      <input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">
      <input type="hidden" name="next" value="${escapeHtml(view.next)}">
      <div class="field">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(view.email ?? '')}">
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
      </div>
      <button type="submit" class="button primary">Sign in</button>
    </form>
    <p class="hint">No account yet? An operator creates one with <code>clientkeys user create EMAIL --password …</code> and adds it to an organization with <code>clientkeys member add</code>.</p>
  </main>
</body>
</html>
`;
}

/** The settings pages: a frame that `app.js` fills in from the API. */
export function settingsShell(base: string, title: string): string {
  const b = escapeHtml(base);
  return `${head(base, title)}
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="topbar">
    <a class="brand" href="${b}/settings/">clientkeys</a>
    <span class="whoami" id="whoami"></span>
    <form method="post" action="${b}/auth/logout/" class="signout">
      <input type="hidden" name="csrf" id="signout-csrf" value="">
      <button type="submit" class="button subtle">Sign out</button>
    </form>
  </header>
  <div class="layout">
    <nav class="sidebar" id="projects-nav" aria-label="Projects"></nav>
    <main id="main" tabindex="-1">
      <p class="loading">Loading…</p>
      <noscript><p class="alert">This page needs JavaScript: it calls clientkeys' API from your browser.</p></noscript>
    </main>
  </div>
  <div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
  <script type="module" src="${b}/_static/app.js"></script>
</body>
</html>
`;
}
