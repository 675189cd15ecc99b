import path from 'node:path';
import { createLogger } from '../../../src/logger';
import { PluginLoadError, loadPlugins } from '../../../src/extensions/plugin-loader';
import { createTransformRegistry } from '../../../src/transforms/registry';

const root = path.resolve(__dirname, '../../..');
const load = (specs: string[]) => loadPlugins(specs, { transforms: createTransformRegistry(), logger: createLogger('silent'), baseDir: root });

describe('loadPlugins', () => {
  it('stops with the plugin name when its path does not exist', async () => {
    await expect(load(['./plugins/nope.ts'])).rejects.toThrow(new PluginLoadError('./plugins/nope.ts', `was not found (resolved from ${root})`));
  });

  it('stops with the plugin name when a package name cannot be resolved', async () => {
    await expect(load(['hookyard-plugin-that-does-not-exist'])).rejects.toThrow(/plugin "hookyard-plugin-that-does-not-exist" was not found/);
  });

  it('stops with the plugin name and its error when register throws', async () => {
    await expect(load(['./test/fixtures/plugins/throws-in-register.ts'])).rejects.toThrow(
      'WEBHOOK_PLUGINS: plugin "./test/fixtures/plugins/throws-in-register.ts" threw in register(): missing API key for the audit sink',
    );
  });

  it('stops with the plugin name when it registers a transform name a built-in owns', async () => {
    await expect(load(['./test/fixtures/plugins/takes-data-only.ts'])).rejects.toThrow(
      'plugin "./test/fixtures/plugins/takes-data-only.ts" registered the transform name "data-only", which is already taken',
    );
  });

  it('stops at the second plugin that registers a name the first one took', async () => {
    const transforms = createTransformRegistry();
    const specs = ['./examples/plugins/team-chat.ts', './examples/plugins/../plugins/team-chat.ts'];
    await expect(loadPlugins(specs, { transforms, logger: createLogger('silent'), baseDir: root })).rejects.toThrow(
      'plugin "./examples/plugins/../plugins/team-chat.ts" registered the transform name "discord", which is already taken',
    );
  });

  it('stops when the same plugin is listed twice', async () => {
    await expect(load(['./examples/plugins/team-chat.ts', './examples/plugins/team-chat.ts'])).rejects.toThrow(/team-chat.ts" is listed twice/);
  });

  it('stops when a module exports no register function', async () => {
    await expect(load(['./test/fixtures/plugins/no-register.ts'])).rejects.toThrow(/no-register.ts" exports no register\(api\) function/);
  });

  it('registers the example plugin: its transform by name and its two hooks under its name', async () => {
    const transforms = createTransformRegistry();
    const loaded = await loadPlugins(['./examples/plugins/team-chat.ts'], { transforms, logger: createLogger('silent'), baseDir: root });
    expect(loaded.names).toEqual(['./examples/plugins/team-chat.ts']);
    expect(transforms.names()).toEqual(['data-only', 'discord', 'slack-text']);
    expect(loaded.beforeDispatch.map((h) => h.plugin)).toEqual(['./examples/plugins/team-chat.ts']);
    expect(loaded.afterDelivery.map((h) => h.plugin)).toEqual(['./examples/plugins/team-chat.ts']);
  });
});
