/**
 * The selected ship's trail: its history from `GET /ship162/data/{mmsi}`, then
 * extended with every streamed position, so it is complete at once and stays live.
 */
import type { TangramApi } from "@tangram/api";
import type { Feature, FeatureCollection } from "geojson";
import { ref } from "vue";
import type { Ship, TrajectoryPoint } from "./types";

export const TRAIL_SOURCE = "ship162-trail";
export const TRAIL_LAYER = "ship162-trail";

/** Number of points of the current trail (shown by the info widget). */
export const trailLength = ref(0);

export class Trail {
  private mmsi: string | null = null;
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
      paint: { "line-color": "#0d47a1", "line-width": 2.5, "line-dasharray": [2, 1], "line-opacity": 0.85 },
    });
  }

  /** Show the trail of `mmsi` (or none). */
  async follow(mmsi: string | null): Promise<void> {
    if (mmsi === this.mmsi) return;
    this.mmsi = mmsi;
    this.coordinates = [];
    this.lastTimestamp = 0;
    this.render();
    if (mmsi === null) return;
    const request = ++this.request;
    try {
      const response = await fetch(`/ship162/data/${mmsi}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const points = (await response.json()) as TrajectoryPoint[];
      if (request !== this.request) return; // another ship was selected meanwhile
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
      console.warn(`[ship162] no history for ${mmsi}:`, error);
    }
  }

  /** Append the followed ship's newest position from a streamed frame. */
  extend(ships: Ship[]): void {
    if (this.mmsi === null) return;
    const a = ships.find((item) => String(item.mmsi) === this.mmsi);
    if (!a || a.latitude === null || a.longitude === null || a.lastseen <= this.lastTimestamp) return;
    const last = this.coordinates[this.coordinates.length - 1];
    this.lastTimestamp = a.lastseen;
    if (last && last[0] === a.longitude && last[1] === a.latitude) return;
    this.coordinates.push([a.longitude, a.latitude]);
    this.render();
  }

  private geojson(): FeatureCollection {
    const features: Feature[] =
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
