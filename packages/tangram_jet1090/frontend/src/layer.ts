/**
 * The aircraft layer: one icon per aircraft, rotated by track (a WebGL layer fed from
 * typed arrays, iconLayer.ts), click to select, a tooltip (callsign, altitude, speed)
 * on hover, callsign labels from zoom 8; colours follow the theme.
 */
import type { Entity, TangramApi } from "@tangram/api";
import type { FeatureCollection, Point } from "geojson";
import maplibregl, { type MapMouseEvent } from "maplibre-gl";
import { watch } from "vue";
import { iconMask } from "./icon";
import { IconLayer } from "./iconLayer";
import { TYPE_NAME, type StateVector } from "./types";

export const LAYER = "jet1090-aircraft";
export const LABELS = "jet1090-labels";
/** Callsigns are drawn from this zoom; below it the label source is left empty. */
export const LABELS_MINZOOM = 8;

const COLOURS = {
  light: { fill: "#1c5d99", selected: "#e8590c", halo: "#ffffff", text: "#1f2a33" },
  dark: { fill: "#7cc4ff", selected: "#e8590c", halo: "#10151a", text: "#e3e8ec" },
} as const;

/** Callsign labels (only drawn when zoomed in, where few aircraft are in view). */
export function toLabels(aircraft: readonly StateVector[]): FeatureCollection<Point> {
  const features = [];
  for (const a of aircraft) {
    if (a.latitude === null || a.longitude === null) continue;
    features.push({
      type: "Feature" as const,
      geometry: { type: "Point" as const, coordinates: [a.longitude, a.latitude] },
      properties: { callsign: a.callsign ?? a.icao24 },
    });
  }
  return { type: "FeatureCollection", features };
}

export interface AircraftLayer {
  /** Show these aircraft (the selected ones highlighted). */
  update(aircraft: readonly StateVector[], selected: ReadonlySet<string>): void;
}

export async function installLayer(
  api: TangramApi,
  entityOf: (icao24: string) => Entity | undefined,
): Promise<AircraftLayer> {
  const map = await api.map.whenReady();
  const theme = (): (typeof COLOURS)["light" | "dark"] => COLOURS[api.theme.current.value];
  const icons = new IconLayer<StateVector>(LAYER, {
    image: iconMask(),
    radius: 11,
    selectedScale: 1.4,
    colours: theme(),
    key: (a) => a.icao24,
    position: (a) => (a.latitude === null || a.longitude === null ? null : [a.longitude, a.latitude]),
    rotation: (a) => a.track ?? a.heading ?? 0,
  });
  api.map.addLayer(icons);
  api.map.addSource(LABELS, { type: "geojson", data: toLabels([]) });
  api.map.addLayer({
    id: LABELS,
    type: "symbol",
    source: LABELS,
    minzoom: LABELS_MINZOOM,
    layout: {
      "text-field": ["get", "callsign"],
      "text-size": 11,
      "text-offset": [0, 1.6],
      "text-anchor": "top",
      "text-optional": true,
    },
    paint: { "text-color": theme().text, "text-halo-color": theme().halo, "text-halo-width": 1.2 },
  });
  api.onTeardown(
    watch(api.theme.current, () => {
      icons.setColours(theme());
      if (map.getLayer(LABELS)) {
        map.setPaintProperty(LABELS, "text-color", theme().text);
        map.setPaintProperty(LABELS, "text-halo-color", theme().halo);
      }
    }),
  );

  let shown: readonly StateVector[] = [];
  let labelled = false;
  const label = (): void => {
    // Zoomed out the labels are hidden: skip building and tiling them every second.
    const wanted = map.getZoom() >= LABELS_MINZOOM - 0.5;
    if (!wanted && !labelled) return;
    if (api.map.getGeoJSONSource(LABELS)) api.map.setData(LABELS, toLabels(wanted ? shown : []));
    labelled = wanted;
  };
  map.on("zoomend", label);

  const tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 14, className: "jet1090-tooltip" });
  let hovered: StateVector | undefined;
  const hover = (event: MapMouseEvent): void => {
    const a = icons.at(event.point);
    if (a === hovered) return;
    hovered = a;
    map.getCanvas().style.cursor = a ? "pointer" : "";
    if (!a || a.latitude === null || a.longitude === null) {
      tooltip.remove();
      return;
    }
    const number = (value: number | null, unit: string): string =>
      value === null ? "–" : `${Math.round(value).toLocaleString("en-GB")} ${unit}`;
    const body = document.createElement("div");
    body.className = "jet1090-tooltip-body";
    const title = document.createElement("strong");
    title.textContent = a.callsign ?? a.icao24;
    body.append(title, document.createElement("br"), `${number(a.altitude, "ft")} · ${number(a.groundspeed, "kts")}`);
    tooltip.setLngLat([a.longitude, a.latitude]).setDOMContent(body).addTo(map);
  };
  const onClick = (event: MapMouseEvent): void => {
    const a = icons.at(event.point);
    const entity = a ? entityOf(a.icao24) : undefined;
    if (entity) api.state.select(entity);
  };
  const away = (): void => {
    hovered = undefined;
    map.getCanvas().style.cursor = "";
    tooltip.remove();
  };
  map.on("mousemove", hover);
  map.on("mouseout", away);
  map.on("click", onClick);
  api.onTeardown(() => {
    map.off("zoomend", label);
    map.off("mousemove", hover);
    map.off("mouseout", away);
    map.off("click", onClick);
    tooltip.remove();
  });

  return {
    update(aircraft, selected) {
      shown = aircraft;
      icons.setData(aircraft, selected);
      label();
    },
  };
}

export function selectedIds(api: TangramApi): Set<string> {
  return new Set(api.state.selected.value.filter((e) => e.typeName === TYPE_NAME).map((e) => e.id));
}
