/**
 * Selection behaviour shared by every entity layer: a click on empty map or Esc
 * deselects; a followed entity (state with `latitude`/`longitude`) is kept in view;
 * dragging the map stops following.
 */
import type { CustomLayerInterface, Map as MaplibreMap, MapMouseEvent, Point } from "maplibre-gl";
import { watch } from "vue";
import type { StateApi } from "@tangram/api";
import type { MapHost } from "./mapHost";

/** True when the key event comes from something the user types into. */
export function typingIn(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function positionOf(state: Record<string, unknown>): [number, number] | null {
  const { latitude, longitude } = state;
  return typeof latitude === "number" && typeof longitude === "number" ? [longitude, latitude] : null;
}

/** A custom layer that can tell whether a point (CSS pixels in the map) is on one of its items. */
type CustomStyleLayer = { implementation: CustomLayerInterface & { hits?: (point: Point) => boolean } };

export function installSelection(map: MaplibreMap, host: MapHost, state: StateApi): void {
  map.on("click", (event: MapMouseEvent) => {
    if (state.selected.value.length === 0) return;
    // Any feature of a plugin layer under the pointer: that layer's own click handler
    // decides. Only a click on the bare base map deselects.
    const layers = host.pluginLayers().filter((id) => map.getLayer(id));
    const hits = layers.length > 0 ? map.queryRenderedFeatures(event.point, { layers }) : [];
    // Custom (WebGL) layers have no features to query: they may answer `hits(point)`.
    const custom = layers.some((id) => {
      const layer = map.getLayer(id);
      if (layer?.type !== "custom") return false;
      const implementation = (layer as unknown as CustomStyleLayer).implementation;
      return typeof implementation.hits === "function" && implementation.hits(event.point) === true;
    });
    if (hits.length === 0 && !custom) state.select(null);
  });
  window.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented && !typingIn(event) && state.selected.value.length > 0) {
      state.select(null);
    }
  });
  map.on("dragstart", () => state.setFollowing(false));
  watch([state.selectedEntity, state.following], ([entity, following]) => {
    if (!following || !entity) return;
    const position = positionOf(entity.state);
    if (position) map.easeTo({ center: position, duration: 600 });
  });
}
