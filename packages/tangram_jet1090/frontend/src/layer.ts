/**
 * The aircraft layer: one symbol per aircraft, rotated by track, click to select, a
 * tooltip (callsign, altitude, speed) on hover; colours follow the theme.
 */
import type { Entity, TangramApi } from "@tangram/api";
import type { FeatureCollection, Point } from "geojson";
import maplibregl, { type MapLayerMouseEvent } from "maplibre-gl";
import { watch } from "vue";
import { ICON, installIcon } from "./icon";
import { TYPE_NAME, type StateVector } from "./types";

export const SOURCE = "jet1090-aircraft";
export const LAYER = "jet1090-aircraft";
export const LABELS = "jet1090-labels";

const COLOURS = {
  light: { icon: "#1c5d99", halo: "#ffffff", text: "#1f2a33" },
  dark: { icon: "#7cc4ff", halo: "#10151a", text: "#e3e8ec" },
} as const;

export function toGeoJSON(aircraft: StateVector[], selected: ReadonlySet<string>): FeatureCollection<Point> {
  const features = [];
  for (const a of aircraft) {
    if (a.latitude === null || a.longitude === null) continue;
    features.push({
      type: "Feature" as const,
      id: parseInt(a.icao24, 16),
      geometry: { type: "Point" as const, coordinates: [a.longitude, a.latitude] },
      properties: {
        icao24: a.icao24,
        callsign: a.callsign ?? a.icao24,
        track: a.track ?? a.heading ?? 0,
        altitude: a.altitude,
        groundspeed: a.groundspeed,
        selected: selected.has(a.icao24),
      },
    });
  }
  return { type: "FeatureCollection", features };
}

export async function installLayer(
  api: TangramApi,
  entityOf: (icao24: string) => Entity | undefined,
): Promise<void> {
  const map = await api.map.whenReady();
  api.onTeardown(installIcon(map));
  api.map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  api.map.addLayer({
    id: LAYER,
    type: "symbol",
    source: SOURCE,
    layout: {
      "icon-image": ICON,
      "icon-rotate": ["get", "track"],
      "icon-rotation-alignment": "map",
      "icon-allow-overlap": true,
      "icon-ignore-placement": true,
      "icon-size": ["case", ["get", "selected"], 1.25, 0.9],
    },
    paint: {
      "icon-color": ["case", ["get", "selected"], "#e8590c", COLOURS[api.theme.current.value].icon],
      "icon-halo-color": COLOURS[api.theme.current.value].halo,
      "icon-halo-width": 1.2,
    },
  });
  api.map.addLayer({
    id: LABELS,
    type: "symbol",
    source: SOURCE,
    minzoom: 8,
    layout: {
      "text-field": ["get", "callsign"],
      "text-size": 11,
      "text-offset": [0, 1.6],
      "text-anchor": "top",
      "text-optional": true,
    },
    paint: {
      "text-color": COLOURS[api.theme.current.value].text,
      "text-halo-color": COLOURS[api.theme.current.value].halo,
      "text-halo-width": 1.2,
    },
  });
  api.onTeardown(
    watch(api.theme.current, (theme) => {
      const colours = COLOURS[theme];
      if (map.getLayer(LAYER)) {
        map.setPaintProperty(LAYER, "icon-color", ["case", ["get", "selected"], "#e8590c", colours.icon]);
        map.setPaintProperty(LAYER, "icon-halo-color", colours.halo);
      }
      if (map.getLayer(LABELS)) {
        map.setPaintProperty(LABELS, "text-color", colours.text);
        map.setPaintProperty(LABELS, "text-halo-color", colours.halo);
      }
    }),
  );

  const onClick = (event: MapLayerMouseEvent): void => {
    const icao24 = event.features?.[0]?.properties?.icao24 as string | undefined;
    const entity = icao24 ? entityOf(icao24) : undefined;
    if (entity) api.state.select(entity);
  };
  const tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 14, className: "jet1090-tooltip" });
  const hover = (event: MapLayerMouseEvent): void => {
    map.getCanvas().style.cursor = "pointer";
    const feature = event.features?.[0];
    if (!feature || feature.geometry.type !== "Point") return;
    const p = feature.properties as { callsign: string; altitude?: number | null; groundspeed?: number | null };
    const number = (value: unknown, unit: string): string =>
      typeof value === "number" ? `${Math.round(value).toLocaleString("en-GB")} ${unit}` : "–";
    const body = document.createElement("div");
    body.className = "jet1090-tooltip-body";
    const title = document.createElement("strong");
    title.textContent = p.callsign;
    body.append(title, document.createElement("br"), `${number(p.altitude, "ft")} · ${number(p.groundspeed, "kts")}`);
    tooltip.setLngLat(feature.geometry.coordinates as [number, number]).setDOMContent(body).addTo(map);
  };
  const plain = (): void => {
    map.getCanvas().style.cursor = "";
    tooltip.remove();
  };
  map.on("click", LAYER, onClick);
  map.on("mousemove", LAYER, hover);
  map.on("mouseleave", LAYER, plain);
  api.onTeardown(() => {
    map.off("click", LAYER, onClick);
    map.off("mousemove", LAYER, hover);
    map.off("mouseleave", LAYER, plain);
    tooltip.remove();
  });
}

export function selectedIds(api: TangramApi): Set<string> {
  return new Set(api.state.selected.value.filter((e) => e.typeName === TYPE_NAME).map((e) => e.id));
}
