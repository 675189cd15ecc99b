import path from 'node:path';
import type { TransformRegistry } from '../transforms/registry';
import type { RegisteredHook } from './hook-runner';
import type { AfterDeliveryHook, BeforeDispatchHook, HookyardPlugin, PluginApi, PluginLogger } from './plugin-api';

/** Thrown when a plugin named in WEBHOOK_PLUGINS cannot be loaded or registered: start-up stops. */
export class PluginLoadError extends Error {
  constructor(
    readonly plugin: string,
    reason: string,
  ) {
    super(`WEBHOOK_PLUGINS: plugin "${plugin}" ${reason}`);
  }
}

export interface LoadedPlugins {
  /** The plugins, in WEBHOOK_PLUGINS order. */
  names: string[];
  beforeDispatch: RegisteredHook<BeforeDispatchHook>[];
  afterDelivery: RegisteredHook<AfterDeliveryHook>[];
}

export interface LoadPluginsOptions {
  /** Transforms the plugins add to. */
  transforms: TransformRegistry;
  logger: PluginLogger & { child(bindings: object): PluginLogger };
  /** Where relative paths and package names are resolved from (the working directory). */
  baseDir: string;
}

/**
 * Loads each plugin once, in order, and lets it register. A path (`./x`, `../x`, `/x`) is
 * resolved from `baseDir`; anything else is a package name resolved from there too. The first
 * failure stops the load with a PluginLoadError naming the plugin.
 */
export async function loadPlugins(specs: string[], options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const loaded: LoadedPlugins = { names: [], beforeDispatch: [], afterDelivery: [] };
  for (const spec of specs) {
    if (loaded.names.includes(spec)) throw new PluginLoadError(spec, 'is listed twice');
    const plugin = await importPlugin(spec, options.baseDir);
    const api: PluginApi = {
      name: spec,
      logger: options.logger.child({ plugin: spec }),
      transform(name, fn) {
        if (typeof fn !== 'function') throw new PluginLoadError(spec, `registered transform "${name}" without a function`);
        if (options.transforms.has(name)) throw new PluginLoadError(spec, `registered the transform name "${name}", which is already taken`);
        options.transforms.register(name, fn);
      },
      beforeDispatch(fn) {
        loaded.beforeDispatch.push({ plugin: spec, fn });
      },
      afterDelivery(fn) {
        loaded.afterDelivery.push({ plugin: spec, fn });
      },
    };
    try {
      await plugin.register(api);
    } catch (err) {
      if (err instanceof PluginLoadError) throw err;
      throw new PluginLoadError(spec, `threw in register(): ${err instanceof Error ? err.message : String(err)}`);
    }
    loaded.names.push(spec);
  }
  return loaded;
}

async function importPlugin(spec: string, baseDir: string): Promise<HookyardPlugin> {
  let resolved: string;
  try {
    resolved = /^\.{0,2}\//.test(spec) ? require.resolve(path.resolve(baseDir, spec)) : require.resolve(spec, { paths: [baseDir] });
  } catch {
    throw new PluginLoadError(spec, `was not found (resolved from ${baseDir})`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(resolved)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginLoadError(spec, `could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const candidate = [mod, mod.default, (mod.default as Record<string, unknown> | undefined)?.default].find(
    (m): m is HookyardPlugin => typeof (m as { register?: unknown } | undefined)?.register === 'function',
  );
  if (!candidate) throw new PluginLoadError(spec, 'exports no register(api) function');
  return candidate;
}
