/** The aircraft layer: one symbol per aircraft, rotated by track, click to select. */
import type { Entity, TangramApi } from "@tangram/api";
import type { FeatureCollection, Point } from "geojson";
import type { MapLayerMouseEvent } from "maplibre-gl";
import { ICON, installIcon } from "./icon";
import { TYPE_NAME, type StateVector } from "./types";

export const SOURCE = "jet1090-aircraft";
export const LAYER = "jet1090-aircraft";
export const LABELS = "jet1090-labels";

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
      "icon-color": ["case", ["get", "selected"], "#e8590c", "#1c5d99"],
      "icon-halo-color": "#ffffff",
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
    paint: { "text-color": "#1f2a33", "text-halo-color": "#ffffff", "text-halo-width": 1.2 },
  });

  const onClick = (event: MapLayerMouseEvent): void => {
    const icao24 = event.features?.[0]?.properties?.icao24 as string | undefined;
    const entity = icao24 ? entityOf(icao24) : undefined;
    if (entity) api.state.select(entity);
  };
  const pointer = (): void => void (map.getCanvas().style.cursor = "pointer");
  const plain = (): void => void (map.getCanvas().style.cursor = "");
  map.on("click", LAYER, onClick);
  map.on("mouseenter", LAYER, pointer);
  map.on("mouseleave", LAYER, plain);
  api.onTeardown(() => {
    map.off("click", LAYER, onClick);
    map.off("mouseenter", LAYER, pointer);
    map.off("mouseleave", LAYER, plain);
  });
}

export function selectedIds(api: TangramApi): Set<string> {
  return new Set(api.state.selected.value.filter((e) => e.typeName === TYPE_NAME).map((e) => e.id));
}
