// Small DOM helpers: the console is plain modules, no framework, so that
// it needs no build step and stays small.

// h builds an element: h('button', {class: 'primary', onclick}, 'Save').
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'multiple') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  add(el, children);
  return el;
}

// put appends children to el, skipping null, undefined and false (a
// control left out, as for read-only admins), which append would print.
export function put(el, ...children) { add(el, children); }

function add(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let ids = 0;
// field is a labelled control: the label names the control for screen
// readers (it does not wrap it, so a select's options stay out of its name).
export function field(label, control, hint) {
  if (!control.id) control.id = 'f' + (++ids);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

export function select(options, value, attrs) {
  return h('select', attrs || {}, options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, text);
  }));
}

export function toast(message, kind) {
  const t = h('div', { class: 'toast' + (kind === 'error' ? ' error' : ''), role: kind === 'error' ? 'alert' : 'status' }, message);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 3500);
}

// guard runs an action and shows its error, so that no click fails
// silently; it resolves with the action's result, or undefined after an error.
export async function guard(fn) {
  try { return await fn(); } catch (e) { toast(e.message || String(e), 'error'); return undefined; }
}

// dialog opens a modal <dialog> (focus is trapped and Escape closes it) and
// resolves with what onOk returns, or null when cancelled.
export function dialog(title, body, { okText = 'Save', onOk } = {}) {
  return new Promise((resolve) => {
    const err = h('p', { class: 'bad', role: 'alert' });
    const ok = h('button', { class: 'primary', type: 'submit' }, okText);
    const cancel = h('button', { type: 'button', onclick: () => { d.close(); } }, 'Cancel');
    const form = h('form', { method: 'dialog' }, h('h2', { id: 'dlg-title' }, title), body, err, h('div', { class: 'actions' }, cancel, ok));
    const d = h('dialog', { 'aria-labelledby': 'dlg-title' }, form);
    let result = null;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        result = onOk ? await onOk() : true;
        d.close();
      } catch (e) { err.textContent = e.message || String(e); }
    });
    d.addEventListener('close', () => { d.remove(); resolve(result); });
    document.body.append(d);
    d.showModal();
    const first = d.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

export function confirmDialog(title, text, okText = 'Delete') {
  return dialog(title, h('p', {}, text), { okText });
}

export function page(title, ...children) {
  return [h('h1', {}, title), ...children.filter((c) => c !== null && c !== undefined && c !== false)];
}

export function card(title, ...children) {
  return h('section', { class: 'card', 'aria-label': title }, title ? h('h2', {}, title) : null, ...children);
}

export function table(columns, rows, caption) {
  return h('div', { class: 'scroll' }, h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing here yet.')))));
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function readFile(file, as) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    if (as === 'dataURL') r.readAsDataURL(file); else r.readAsText(file);
  });
}
