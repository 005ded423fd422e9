/**
 * Boot sequence: manifest, then the map and the channel in parallel, then plugins.
 * Plugins are installed once the map object exists (its style may still be loading)
 * and the connection id is known, so `api.map.map` and `api.realtime.connectionId` are
 * usable from `install()`.
 */
import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";
import "./api/entityWidgets.css";
import type { ErrorEvent as MapErrorEvent, Map as MaplibreMap } from "maplibre-gl";
import { createApp, ref, watch } from "vue";
import App from "./components/App.vue";
import { airportProvider } from "./core/airports";
import { OFFLINE } from "./core/basemap";
import { baseMapChoices, choiceById, currentChoiceId, savedChoice, styleOf, switchBaseMap } from "./core/baseMapChoice";
import { publishBoundBox } from "./core/boundBox";
import { fetchManifest, type Manifest } from "./core/manifest";
import { MapHost } from "./core/mapHost";
import { reportError, reportWarning } from "./core/notices";
import { loadPlugins, teardownPlugins, type Shell } from "./core/plugins";
import { RealtimeClient } from "./core/realtime";
import { parseHash, selectWhenSeen, syncPermalink } from "./core/permalink";
import { SearchRegistry } from "./core/search";
import { installLabels } from "./core/labels";
import { installSelection } from "./core/selection";
import { SHELL } from "./core/shell";
import { createStateStore } from "./core/state";
import { createTheme } from "./core/theme";
import { createTime } from "./core/time";

declare global {
  interface Window {
    /** Debug handle (also used by the browser tests). */
    tangram?: { shell: Shell; map: MaplibreMap; ready: boolean };
  }
}

function fallBackWhenStyleFails(shell: Shell, map: MaplibreMap): void {
  map.on("error", (event: MapErrorEvent) => {
    const error = event.error;
    const failed = shell.mapHost.pendingStyleUrl;
    if (failed !== null) {
      reportWarning("base map", `style ${failed} could not be loaded (${error.message}); using the offline map`);
      void switchBaseMap(shell, OFFLINE);
    } else {
      console.warn("[tangram] map:", error.message);
    }
  });
}

async function boot(): Promise<void> {
  let manifest: Manifest;
  try {
    manifest = await fetchManifest();
  } catch (error) {
    document.body.textContent = `tangram: cannot start, ${String(error)}`;
    console.error("[tangram] manifest:", error);
    return;
  }
  const realtime = new RealtimeClient(manifest.channel?.url ?? null, manifest.channel?.token_url ?? null);
  const realtimeStarted = realtime.start();
  const mapHost = new MapHost();
  const state = createStateStore();
  const link = parseHash(window.location.hash);
  const time = createTime();
  if (link.t !== undefined) time.seek(link.t); // before plugins install: they start in the past
  const theme = createTheme(manifest.theme);
  const search = new SearchRegistry();
  const app = createApp(App);
  const shell: Shell = { app, manifest, realtime, mapHost, state, search, time, theme };
  app.provide(SHELL, shell);
  app.config.errorHandler = (error, _instance, info) => reportError("web app", `${String(error)} (${info})`, error);
  app.mount("#app");

  const container = document.getElementById("tangram-map");
  if (!container) throw new Error("the shell template has no #tangram-map element");
  const fallbackChoice = savedChoice(manifest);
  const linked = link.base ? choiceById(manifest, link.base) : undefined;
  if (linked) currentChoiceId.value = linked.id;
  const style = await styleOf(linked ?? fallbackChoice, theme.current.value);
  const center: [number, number] = link.zoom !== undefined ? [link.lon!, link.lat!] : [manifest.map.center_lon, manifest.map.center_lat];
  const map = mapHost.create(container, style, center, link.zoom ?? manifest.map.zoom);
  fallBackWhenStyleFails(shell, map);
  window.tangram = { shell, map, ready: false };
  installSelection(map, mapHost, state);
  installLabels(map);
  search.register(airportProvider(() => map), "tangram");
  // The offline map has a dark variant: follow the theme when it is shown.
  watch(theme.current, () => {
    if (currentChoiceId.value === OFFLINE.id) void switchBaseMap(shell, OFFLINE, false);
  });
  const pending = ref<string | null>(null);
  if (link.select) selectWhenSeen(state, link.select, pending);
  syncPermalink({
    map,
    pending,
    state,
    time,
    base: {
      current: currentChoiceId,
      fallback: baseMapChoices(manifest)[0].id,
      choose: (id) => {
        const choice = choiceById(manifest, id);
        if (choice) void switchBaseMap(shell, choice, false);
      },
    },
  });

  await realtimeStarted;
  publishBoundBox(map, state, realtime);
  await loadPlugins(shell);
  window.tangram.ready = true;
  window.addEventListener("pagehide", teardownPlugins);
}

void boot();
