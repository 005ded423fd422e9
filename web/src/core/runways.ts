/**
 * Runways on the offline base map: lines from one runway end to the other
 * (web/src/data/runways.json, OurAirports data via scripts/make_basemap_data.py), drawn
 * from zoom 9 and widening with the zoom to about a real runway's width.
 */
import type { LineLayerSpecification } from "maplibre-gl";
import type { ThemeName } from "@tangram/api";

export const RUNWAYS_SOURCE = "tangram-runways";
export const RUNWAYS_MINZOOM = 9;

type RunwayRow = [icao: string, lon1: number, lat1: number, lon2: number, lat2: number];

export async function runwayLines(): Promise<GeoJSON.FeatureCollection> {
  const rows = (await import("../data/runways.json")).default as unknown as RunwayRow[];
  return {
    type: "FeatureCollection",
    features: rows.map(([icao, lon1, lat1, lon2, lat2]) => ({
      type: "Feature",
      properties: { icao },
      geometry: { type: "LineString", coordinates: [[lon1, lat1], [lon2, lat2]] },
    })),
  };
}

export function runwayLayer(theme: ThemeName): LineLayerSpecification {
  return {
    id: "airport-runways",
    type: "line",
    source: RUNWAYS_SOURCE,
    minzoom: RUNWAYS_MINZOOM,
    layout: { "line-cap": "butt" },
    paint: {
      "line-color": theme === "dark" ? "#6b6178" : "#9d93a8",
      // About 45 m wide at mid latitudes: 1 px at zoom 9, 30 px at zoom 16.
      "line-width": ["interpolate", ["exponential", 2], ["zoom"], RUNWAYS_MINZOOM, 1, 16, 30],
    },
  };
}
