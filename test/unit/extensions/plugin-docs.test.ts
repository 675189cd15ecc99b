import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

it('shows in docs/plugins.md exactly the example plugin the repo ships and tests', () => {
  const doc = readFileSync(path.join(root, 'docs/plugins.md'), 'utf8');
  const example = readFileSync(path.join(root, 'examples/plugins/team-chat.ts'), 'utf8');
  expect(doc).toContain(`\`\`\`ts\n${example}\`\`\``);
});
