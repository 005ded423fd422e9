/**
 * Loading plugin frontends listed in the manifest.
 *
 * Each plugin gets its own API object so that everything it registers (widgets, map
 * layers, subscriptions) can be undone when it fails or is torn down. One failing
 * plugin is reported in the UI and the console; the others keep loading.
 */
import type { App } from "vue";
import type { PluginInstall, StateApi, TangramApi } from "@tangram/api";
import type { Manifest, PluginManifestEntry } from "./manifest";
import type { MapHost } from "./mapHost";
import { reportError } from "./notices";
import type { RealtimeClient } from "./realtime";
import type { SearchRegistry } from "./search";
import type { ThemeController } from "./theme";
import type { TimeController } from "./time";
import { addWidget } from "./widgets";

export interface Shell {
  app: App;
  manifest: Manifest;
  realtime: RealtimeClient;
  mapHost: MapHost;
  state: StateApi;
  search: SearchRegistry;
  time: TimeController;
  theme: ThemeController;
}

interface Loaded {
  name: string;
  api: TangramApi;
  teardown(): void;
}

const loaded: Loaded[] = [];

function createApi(shell: Shell, entry: PluginManifestEntry, index: number): Loaded {
  const disposers: Array<() => void> = [];
  const mapApi = shell.mapHost.apiFor(entry.name);
  const realtime = shell.realtime;
  const api: TangramApi = {
    pluginName: entry.name,
    config: Object.freeze({ ...(entry.config ?? {}) }),
    version: shell.manifest.tangram.version,
    app: shell.app,
    map: mapApi,
    state: shell.state,
    time: shell.time,
    theme: shell.theme,
    search: {
      registerProvider(provider) {
        const remove = shell.search.register(provider, entry.name);
        disposers.push(remove);
        return remove;
      },
      open: (query) => shell.search.open(query),
    },
    ui: {
      registerWidget(id, slot, component) {
        const remove = addWidget(id, slot, component, { name: entry.name, index, api });
        disposers.push(remove);
        return remove;
      },
    },
    realtime: {
      get connectionId() {
        return realtime.connectionId;
      },
      connected: realtime.connected,
      subscribe(topicEvent, handler) {
        const off = realtime.subscribe(topicEvent, handler);
        disposers.push(off);
        return off;
      },
      publish: (topicEvent, payload) => realtime.publish(topicEvent, payload),
    },
    onTeardown(fn) {
      disposers.push(fn);
    },
  };
  return {
    name: entry.name,
    api,
    teardown() {
      for (const dispose of disposers.splice(0).reverse()) {
        try {
          dispose();
        } catch (error) {
          console.error(`[tangram] ${entry.name}: error during tear-down`, error);
        }
      }
      mapApi.teardown();
    },
  };
}

function addStylesheet(href: string, plugin: string): void {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  link.dataset.plugin = plugin;
  link.onerror = () => reportError(`plugin ${plugin}`, `stylesheet ${href} could not be loaded`);
  document.head.appendChild(link);
}

async function loadOne(shell: Shell, entry: PluginManifestEntry, index: number): Promise<void> {
  const source = `plugin ${entry.name}`;
  if (entry.error || !entry.main) {
    reportError(source, `frontend not loaded: ${entry.error ?? "plugin.json names no \"main\" module"}`);
    return;
  }
  const base = new URL(entry.url.endsWith("/") ? entry.url : `${entry.url}/`, window.location.href);
  const moduleUrl = new URL(entry.main, base).href;
  if (entry.style) addStylesheet(new URL(entry.style, base).href, entry.name);
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    reportError(source, `could not import ${moduleUrl}: ${String(error)}`, error);
    return;
  }
  const install = (module.default ?? module.install) as PluginInstall | undefined;
  if (typeof install !== "function") {
    reportError(
      source,
      `${moduleUrl} exports no install function; add "export default function install(api) {...}"`,
    );
    return;
  }
  const plugin = createApi(shell, entry, index);
  try {
    const cleanup = await install(plugin.api);
    if (typeof cleanup === "function") plugin.api.onTeardown(cleanup);
    loaded.push(plugin);
  } catch (error) {
    plugin.teardown();
    reportError(source, `install() failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** Load every plugin concurrently; widget order still follows the manifest order. */
export async function loadPlugins(shell: Shell): Promise<void> {
  await Promise.all(shell.manifest.plugins.map((entry, index) => loadOne(shell, entry, index)));
}

/** Tear down every loaded plugin (used on page unload and by tests). */
export function teardownPlugins(): void {
  for (const plugin of loaded.splice(0).reverse()) plugin.teardown();
}
