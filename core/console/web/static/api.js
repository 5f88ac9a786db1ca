// Calls from the console to the server. Everything goes to the console's
// own endpoints under /dashboard: the server adds the master key, so the
// page never holds it; the session cookie is HttpOnly, and each call
// carries the CSRF token of the session.
let csrf = '';
export let session = null;

export class ApiError extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

async function request(url, method, body, contentType) {
  const headers = { 'X-Switchboard-Csrf': csrf };
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = contentType || body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const code = data && data.code, msg = (data && data.error) || res.statusText;
    if (code === 209 && url !== 'auth/session') window.dispatchEvent(new Event('console:signed-out'));
    throw new ApiError(code, String(msg), res.status);
  }
  return data;
}

function query(params) {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// api calls the Parse REST API (paths relative to the mount path).
export const api = {
  get: (path, params) => request('api' + path + query(params), 'GET'),
  post: (path, body, contentType) => request('api' + path, 'POST', body, contentType),
  put: (path, body) => request('api' + path, 'PUT', body),
  del: (path) => request('api' + path, 'DELETE'),
};

// panel calls one of the console's own endpoints (server, providers, policies...).
export const panel = (name, body) => request('x/' + name, body === undefined ? 'GET' : 'POST', body);

export async function loadSession() {
  try {
    session = await request('auth/session', 'GET');
    csrf = session.csrf;
  } catch (e) {
    session = null;
    if (e.code !== 209) throw e;
  }
  return session;
}

export async function login(creds) {
  session = await request('auth/login', 'POST', creds);
  csrf = session.csrf;
  return session;
}

export async function logout() {
  try { await request('auth/logout', 'POST'); } finally { session = null; csrf = ''; }
}

// batch sends writes in /batch calls of at most 50, reporting progress.
export async function batch(requests, onProgress) {
  const out = [];
  for (let i = 0; i < requests.length; i += 50) {
    const chunk = requests.slice(i, i + 50);
    out.push(...await api.post('/batch', { requests: chunk }));
    if (onProgress) onProgress(Math.min(i + 50, requests.length), requests.length);
  }
  return out;
}

// schemas caches the class list for the pages that need it.
let schemaCache = null;
export async function schemas(refresh) {
  if (!schemaCache || refresh) schemaCache = (await api.get('/schemas')).results;
  return schemaCache;
}
export function forgetSchemas() { schemaCache = null; }
