/**
 * The selected aircraft's trail: its history from `GET /jet1090/data/{icao24}`, then
 * extended with every streamed position, so it is complete at once and stays live.
 */
import type { TangramApi } from "@tangram/api";
import { ref } from "vue";
import type { StateVector, TrajectoryPoint } from "./types";

export const TRAIL_SOURCE = "jet1090-trail";
export const TRAIL_LAYER = "jet1090-trail";

/** Number of points of the current trail (shown by the info widget). */
export const trailLength = ref(0);

export class Trail {
  private icao24: string | null = null;
  private coordinates: [number, number][] = [];
  private lastTimestamp = 0;
  private request = 0;

  constructor(private readonly api: TangramApi) {}

  async install(): Promise<void> {
    await this.api.map.whenReady();
    this.api.map.addSource(TRAIL_SOURCE, { type: "geojson", data: this.geojson() });
    this.api.map.addLayer({
      id: TRAIL_LAYER,
      type: "line",
      source: TRAIL_SOURCE,
      layout: { "line-join": "round", "line-cap": "round" },
      paint: { "line-color": "#e8590c", "line-width": 2.5, "line-opacity": 0.85 },
    });
  }

  /** Show the trail of `icao24` (or none). */
  async follow(icao24: string | null): Promise<void> {
    if (icao24 === this.icao24) return;
    this.icao24 = icao24;
    this.coordinates = [];
    this.lastTimestamp = 0;
    this.render();
    if (icao24 === null) return;
    const request = ++this.request;
    try {
      const response = await fetch(`/jet1090/data/${icao24}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const points = (await response.json()) as TrajectoryPoint[];
      if (request !== this.request) return; // another aircraft was selected meanwhile
      const history: [number, number][] = [];
      for (const p of points) {
        if (p.latitude === null || p.longitude === null) continue;
        history.push([p.longitude, p.latitude]);
        this.lastTimestamp = Math.max(this.lastTimestamp, p.timestamp);
      }
      // positions streamed while the request was in flight come after the history
      this.coordinates = [...history, ...this.coordinates];
      this.render();
    } catch (error) {
      console.warn(`[jet1090] no history for ${icao24}:`, error);
    }
  }

  /** Append the followed aircraft's newest position from a streamed frame. */
  extend(aircraft: StateVector[]): void {
    if (this.icao24 === null) return;
    const a = aircraft.find((item) => item.icao24 === this.icao24);
    if (!a || a.latitude === null || a.longitude === null || a.lastseen <= this.lastTimestamp) return;
    const last = this.coordinates[this.coordinates.length - 1];
    this.lastTimestamp = a.lastseen;
    if (last && last[0] === a.longitude && last[1] === a.latitude) return;
    this.coordinates.push([a.longitude, a.latitude]);
    this.render();
  }

  private geojson(): GeoJSON.FeatureCollection {
    const features: GeoJSON.Feature[] =
      this.coordinates.length > 1
        ? [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: this.coordinates } }]
        : [];
    return { type: "FeatureCollection", features };
  }

  private render(): void {
    trailLength.value = this.coordinates.length;
    if (this.api.map.getGeoJSONSource(TRAIL_SOURCE)) this.api.map.setData(TRAIL_SOURCE, this.geojson());
  }
}
