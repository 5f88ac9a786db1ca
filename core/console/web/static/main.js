// The console's shell: sign-in, the navigation and a hash router. Pages
// are modules loaded when first opened (pages/*.js), each exporting
// render(main, args).
import { loadSession, login, logout, session } from './api.js';
import { h, field, toast } from './ui.js';

// pages is the navigation, in order. An entry's module renders the page.
const pages = [
  { id: 'classes', title: 'Classes', module: './pages/classes.js' },
  { id: 'browser', title: 'Data browser', module: './pages/browser.js' },
  { id: 'users', title: 'Users', module: './pages/users.js' },
  { id: 'roles', title: 'Roles', module: './pages/roles.js' },
  { id: 'sessions', title: 'Sessions', module: './pages/sessions.js' },
  { id: 'config', title: 'Config', module: './pages/config.js' },
  { id: 'cloud', title: 'Cloud code', module: './pages/cloud.js' },
  { id: 'policies', title: 'Policies', module: './pages/policies.js' },
  { id: 'files', title: 'Files', module: './pages/files.js' },
  { id: 'push', title: 'Push', module: './pages/push.js' },
  // Shown when the server has the feature's routes.
  { id: 'analytics', title: 'Analytics', module: './pages/analytics.js', route: 'analytics.report' },
  { id: 'versions', title: 'App versions', module: './pages/versions.js', route: 'releases.list' },
  { id: 'providers', title: 'Providers', module: './pages/providers.js' },
  { id: 'server', title: 'Server', module: './pages/server.js' },
];

const root = document.getElementById('app');
let cleanup = null;

function loginView() {
  const key = h('input', { type: 'password', name: 'masterKey', autocomplete: 'current-password' });
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username' });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const err = h('p', { class: 'bad', role: 'alert' });
  const submit = async (ev, creds) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      await login(creds());
      start();
    } catch (e) { err.textContent = e.message; }
  };
  root.replaceChildren(h('main', { id: 'main', class: 'login' },
    h('h1', {}, 'Switchboard console'),
    h('section', { class: 'card', 'aria-label': 'Sign in with the master key' },
      h('form', { onsubmit: (ev) => submit(ev, () => ({ masterKey: key.value })) },
        h('h2', {}, 'Master key'), field('Master key (or read-only master key)', key),
        h('button', { class: 'primary', type: 'submit' }, 'Sign in with the key'))),
    h('section', { class: 'card', 'aria-label': 'Sign in as an admin' },
      h('form', { onsubmit: (ev) => submit(ev, () => ({ username: user.value, password: pass.value })) },
        h('h2', {}, 'Admin account'), field('Name', user), field('Password', pass),
        h('button', { type: 'submit' }, 'Sign in'))),
    err));
  key.focus();
}

// available are the pages of the features this server has.
const available = () => pages.filter((p) => !p.route || (session.routes || []).includes(p.route));

function shell() {
  const nav = h('nav', { class: 'side', 'aria-label': 'Console pages' },
    h('div', { class: 'brand' }, 'Switchboard'),
    available().map((p) => h('a', { href: '#/' + p.id, 'data-page': p.id }, p.title)),
    h('div', { class: 'who' },
      h('div', {}, 'Signed in: ', session.user, session.readOnly ? ' (read-only)' : ''),
      h('div', {}, 'App ', session.appId),
      h('button', { type: 'button', onclick: async () => { await logout(); loginView(); } }, 'Sign out')));
  const main = h('main', { id: 'main', tabindex: '-1' });
  root.replaceChildren(h('div', { class: 'layout' }, nav, main));
  return main;
}

async function route() {
  const main = document.getElementById('main');
  if (!main || !session) return;
  const [id, ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const p = available().find((x) => x.id === id) || pages[0];
  for (const a of document.querySelectorAll('nav.side a')) {
    if (a.dataset.page === p.id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (cleanup) { cleanup(); cleanup = null; }
  document.title = p.title + ' · Switchboard console';
  // Each visit renders into a fresh view, so that a page still loading
  // when the admin moves on writes into a view no longer shown.
  const view = h('div', { class: 'view' }, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(view);
  try {
    const mod = await import(p.module);
    view.replaceChildren();
    const stop = (await mod.render(view, args.filter(Boolean))) || null;
    if (view.isConnected) cleanup = stop; else if (stop) stop();
  } catch (e) {
    view.replaceChildren(h('h1', {}, p.title), h('p', { class: 'bad', role: 'alert' }, e.message || String(e)));
  }
}

function start() {
  shell();
  route();
}

window.addEventListener('hashchange', route);
window.addEventListener('console:signed-out', () => { toast('Your console session ended: sign in again.', 'error'); loginView(); });

(async () => {
  try {
    if (await loadSession()) start(); else loginView();
  } catch (e) {
    root.replaceChildren(h('p', { class: 'bad', role: 'alert' }, 'The console cannot reach the server: ' + e.message));
  }
})();
