// Users: the _User browser, with a form to create an account.
import { api, session } from '../api.js';
import { h, field, card, guard, toast, put } from '../ui.js';
import { browser } from './browser.js';

export async function render(main) {
  put(main, h('h1', {}, 'Users'));
  if (!session.readOnly) {
    const username = h('input', { type: 'text', required: true, autocomplete: 'off' });
    const password = h('input', { type: 'password', required: true, autocomplete: 'new-password' });
    const email = h('input', { type: 'email', autocomplete: 'off' });
    put(main, card('New user', h('form', { class: 'row', onsubmit: (ev) => { ev.preventDefault(); guard(async () => {
      const body = { username: username.value, password: password.value };
      if (email.value) body.email = email.value;
      const u = await api.post('/users', body);
      toast('User ' + u.objectId + ' created');
      main.replaceChildren(); await render(main);
    }); } }, field('Username', username), field('Password', password), field('Email (optional)', email), h('button', { class: 'primary', type: 'submit' }, 'Create user'))));
  }
  const el = h('div');
  put(main, el);
  await browser(el, '_User', { noAdd: true });
}
