// Policies: the active Rego rules, and a decision tested with an input.
import { panel } from '../api.js';
import { h, field, card, guard, put } from '../ui.js';

const SAMPLE = { point: 'objects', action: 'update', class: 'Post', auth: { userId: 'u1', roles: [] }, object: { author: 'u1' } };

export async function render(main) {
  const p = await panel('policies');
  const input = h('textarea', { rows: 10, name: 'input', spellcheck: 'false' }, JSON.stringify(SAMPLE, null, 2));
  const out = h('div', { role: 'status' });
  const test = async () => {
    const res = await panel('policies', JSON.parse(input.value));
    const cls = { allow: 'ok', filter: 'ok', deny: 'bad', error: 'bad' }[res.decision];
    out.replaceChildren(h('p', {}, 'Decision: ', h('strong', { class: cls }, res.decision)), h('pre', {}, JSON.stringify(res, null, 2)));
  };
  put(main, h('h1', {}, 'Policies'),
    card('Active rules', h('p', {}, 'Revision: ', p.revision || '(no policies loaded)'),
      p.rules.length ? h('ul', {}, p.rules.map((r) => h('li', {}, h('code', {}, r)))) : h('p', { class: 'muted' }, 'No rules. Put .rego files in the policies folder, or deploy them with cloud code.')),
    card('Test a decision', h('p', { class: 'muted' }, 'The input document of switchboard policy eval: point, action, class, auth, object, extra.'),
      field('Input (JSON)', input), h('div', { class: 'row' }, h('button', { class: 'primary', type: 'button', onclick: () => guard(test) }, 'Evaluate')), out));
}
