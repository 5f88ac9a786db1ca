// Sessions: the _Session browser; deleting a session signs its user out.
import { h } from '../ui.js';
import { browser } from './browser.js';

export async function render(main) {
  main.append(h('h1', {}, 'Sessions'), h('p', { class: 'muted' }, 'Deleting a session signs that device out.'));
  const el = h('div');
  main.append(el);
  await browser(el, '_Session', { noAdd: true });
}
