// Sessions: the _Session browser; deleting a session signs its user out.
import { h, put } from '../ui.js';
import { browser } from './browser.js';

export async function render(main) {
  put(main, h('h1', {}, 'Sessions'), h('p', { class: 'muted' }, 'Deleting a session signs that device out.'));
  const el = h('div');
  put(main, el);
  await browser(el, '_Session', { noAdd: true });
}
