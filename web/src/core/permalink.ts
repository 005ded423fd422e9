/**
 * Shareable links: the URL hash always holds the view,
 * `#map=ZOOM/LAT/LON&select=ID&t=UNIX_SECONDS&base=CHOICE` (`select` when something is
 * selected, `t` when looking at the past, `base` when the base map is not the default).
 * The hash is rewritten with `history.replaceState` (no history entries), at most every
 * 300 ms; opening a link, or editing the hash, restores all of it.
 */
import type { Map as MaplibreMap } from "maplibre-gl";
import { watch, type Ref } from "vue";
import type { Entity, StateApi } from "@tangram/api";
import type { TimeController } from "./time";

export interface ViewLink {
  zoom?: number;
  lat?: number;
  lon?: number;
  select?: string;
  t?: number;
  base?: string;
}

const THROTTLE_MS = 300;
/** Ids and base-map names are short tokens; anything else in a link is ignored. */
const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Parse a hash such as `#map=9/48.85/2.35&select=39c4a5`; invalid parts are dropped. */
export function parseHash(hash: string): ViewLink {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const link: ViewLink = {};
  const map = params.get("map")?.split("/").map(Number);
  if (map && map.length === 3 && map.every(Number.isFinite)) {
    const [zoom, lat, lon] = map;
    if (zoom >= 0 && zoom <= 24 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) Object.assign(link, { zoom, lat, lon });
  }
  const select = params.get("select");
  if (select && TOKEN.test(select)) link.select = select;
  const t = Number(params.get("t") ?? NaN);
  if (params.has("t") && Number.isFinite(t) && t > 0) link.t = t;
  const base = params.get("base");
  if (base && TOKEN.test(base)) link.base = base;
  return link;
}

export function formatHash(link: ViewLink): string {
  // Precision follows the zoom, as OpenStreetMap does: about a pixel's worth.
  const digits = Math.max(2, Math.ceil(((link.zoom ?? 0) * Math.LN2) / Math.LN10));
  const parts = [`map=${(link.zoom ?? 0).toFixed(2).replace(/\.?0+$/, "")}/${(link.lat ?? 0).toFixed(digits)}/${(link.lon ?? 0).toFixed(digits)}`];
  if (link.select) parts.push(`select=${encodeURIComponent(link.select)}`);
  if (link.t !== undefined) parts.push(`t=${Math.round(link.t)}`);
  if (link.base) parts.push(`base=${encodeURIComponent(link.base)}`);
  return `#${parts.join("&")}`;
}

export interface PermalinkDeps {
  map: MaplibreMap;
  state: StateApi;
  time: TimeController;
  /** A selection from a link still waiting for its entity (see selectWhenSeen). */
  pending: Ref<string | null>;
  /** The base map in force, the default one, and how to switch (for `base=`). */
  base: { current: Ref<string>; fallback: string; choose(id: string): void };
}

/**
 * Select `id` as soon as an entity of that id shows up (a link opened before data).
 * Meanwhile `pending` holds it, so that the hash keeps it; selecting anything else
 * cancels.
 */
export function selectWhenSeen(state: StateApi, id: string, pending: Ref<string | null>): void {
  pending.value = id;
  const stop = watch(
    [state.entities, state.selected],
    ([entities, selected]) => {
      if (pending.value !== id || selected.length > 0) {
        if (pending.value === id) pending.value = null;
        return stop();
      }
      for (const byId of entities.values()) {
        const entity: Entity | undefined = byId.get(id);
        if (entity) {
          pending.value = null;
          state.select(entity);
          return stop();
        }
      }
    },
    { immediate: true },
  );
}

/** Apply a link to a running page (opening a link in the same tab changes only the hash). */
export function applyLink(deps: PermalinkDeps, link: ViewLink): void {
  if (link.zoom !== undefined) deps.map.jumpTo({ zoom: link.zoom, center: [link.lon!, link.lat!] });
  if (link.t !== undefined) deps.time.seek(link.t);
  else deps.time.live();
  if (link.base && link.base !== deps.base.current.value) deps.base.choose(link.base);
  const current = deps.state.selectedEntity.value;
  if (link.select && current?.id !== link.select) {
    if (current) deps.state.select(null);
    selectWhenSeen(deps.state, link.select, deps.pending);
  }
  if (!link.select) {
    deps.pending.value = null;
    if (current) deps.state.select(null);
  }
}

/** Keep the hash up to date, and follow hash edits. */
export function syncPermalink(deps: PermalinkDeps): void {
  const { map, state, time, base } = deps;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let written = window.location.hash;
  const write = (): void => {
    timer = undefined;
    const center = map.getCenter();
    const chosen = base.current.value;
    const hash = formatHash({
      zoom: map.getZoom(),
      lat: center.lat,
      lon: center.wrap().lng,
      select: state.selectedEntity.value?.id ?? deps.pending.value ?? undefined,
      t: time.at.value ?? undefined,
      base: chosen === base.fallback ? undefined : chosen,
    });
    if (hash === window.location.hash) return;
    written = hash;
    history.replaceState(history.state, "", hash);
  };
  const schedule = (): void => {
    timer ??= setTimeout(write, THROTTLE_MS);
  };
  map.on("moveend", schedule);
  watch([state.selected, time.at, base.current, deps.pending], schedule);
  window.addEventListener("hashchange", () => {
    if (window.location.hash !== written) applyLink(deps, parseHash(window.location.hash));
  });
  schedule();
}
